// Package keylock serializes work per key within one process: Locks, a
// fixed set of mutexes, a key's chosen by its hash, so memory stays
// bounded whatever the keys (two keys may share a mutex, which only
// serializes them too); and Gates, one gate per key held or waited for,
// with a wait bounded by a context.
package keylock

import (
	"context"
	"hash/maphash"
	"sync"
)

// Locks is a set of striped mutexes. The zero value is ready to use.
type Locks struct {
	seedOnce sync.Once
	seed     maphash.Seed
	mu       [64]sync.Mutex
}

// Lock locks key's mutex and returns its unlock.
func (l *Locks) Lock(key string) (unlock func()) {
	l.seedOnce.Do(func() { l.seed = maphash.MakeSeed() })
	m := &l.mu[maphash.String(l.seed, key)%uint64(len(l.mu))]
	m.Lock()
	return m.Unlock
}

// Gates lets one holder of each key in at a time. Unlike Locks, no two
// keys share a gate, so one key's queue never holds up another's; a key's
// gate lives only while someone holds it or waits at it. The zero value
// is ready to use.
type Gates struct {
	mu    sync.Mutex
	gates map[string]*gate
}

type gate struct {
	held chan struct{}
	refs int // holders and waiters
}

// Enter waits until key's gate is free and takes it, or returns the
// context's error. The function it returns lets the next one in.
func (g *Gates) Enter(ctx context.Context, key string) (leave func(), err error) {
	g.mu.Lock()
	if g.gates == nil {
		g.gates = map[string]*gate{}
	}
	e := g.gates[key]
	if e == nil {
		e = &gate{held: make(chan struct{}, 1)}
		g.gates[key] = e
	}
	e.refs++
	g.mu.Unlock()
	drop := func() {
		g.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(g.gates, key)
		}
		g.mu.Unlock()
	}
	select {
	case e.held <- struct{}{}:
		return func() { <-e.held; drop() }, nil
	case <-ctx.Done():
		drop()
		return nil, ctx.Err()
	}
}

// Len returns how many keys have a gate now (held or waited for).
func (g *Gates) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.gates)
}
