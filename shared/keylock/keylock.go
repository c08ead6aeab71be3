// Package keylock serializes work per key within one process: a fixed
// set of mutexes, a key's chosen by its hash, so memory stays bounded
// whatever the keys (two keys may share a mutex, which only serializes
// them too).
package keylock

import (
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
