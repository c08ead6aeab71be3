// Package queuetest holds stand-ins for tests of what consumes queue's
// messages: a recorder of rejected messages.
package queuetest

import (
	"context"
	"sync"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/queue"
)

// Rejection is a message a Rejects recorded.
type Rejection struct {
	Msg    queue.Message
	Code   string
	Reason string
	Fields []content.FieldError
}

// Rejects records rejected messages (queue.Rejecter).
type Rejects struct {
	mu   sync.Mutex
	list []Rejection
}

var _ queue.Rejecter = (*Rejects)(nil)

// Reject implements queue.Rejecter.
func (r *Rejects) Reject(_ context.Context, msg queue.Message, code, reason string, fields []content.FieldError) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, Rejection{Msg: msg, Code: code, Reason: reason, Fields: fields})
	return nil
}

// List returns what was recorded.
func (r *Rejects) List() []Rejection {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Rejection(nil), r.list...)
}
