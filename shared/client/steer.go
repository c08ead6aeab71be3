package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"contentfactory.dev/factory/shared/content"
)

// Approve approves the review of a job awaiting it: the rest is made.
func (c *Client) Approve(ctx context.Context, id string) (*JobSummary, error) {
	var j JobSummary
	if _, err := c.call(ctx, http.MethodPost, jobPath(id)+":approve", nil, nil, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// Regenerate makes a new version of one step of an ended job, steered by
// instructions (may be empty), and makes again every step made from it;
// the job runs again. idempotencyKey, when not empty, makes the call safe
// to repeat, and the client repeats it as it does a submission.
func (c *Client) Regenerate(ctx context.Context, id string, step content.Format, instructions, idempotencyKey string) (*Job, error) {
	var body []byte
	if instructions != "" {
		body, _ = json.Marshal(map[string]string{"instructions": instructions})
	}
	var j Job
	if err := c.keyed(ctx, http.MethodPost, jobPath(id)+"/steps/"+url.PathEscape(string(step))+":regenerate", idempotencyKey, body, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// Document reads the current version of a job's document (version 0), or
// the version asked for, as JSON.
func (c *Client) Document(ctx context.Context, id string, f content.Format, version int) (json.RawMessage, error) {
	path := jobPath(id) + "/documents/" + url.PathEscape(string(f))
	if version > 0 {
		path += "?version=" + strconv.Itoa(version)
	}
	var doc json.RawMessage
	if _, err := c.call(ctx, http.MethodGet, path, nil, nil, &doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// PutDocument replaces a job's document with a whole new one (checked as
// a generated one is): a new version, and every step made from it is made
// again. A job awaiting review takes a new outline and keeps waiting.
// idempotencyKey works as Regenerate's.
func (c *Client) PutDocument(ctx context.Context, id string, f content.Format, doc json.RawMessage, idempotencyKey string) (*Job, error) {
	var j Job
	if err := c.keyed(ctx, http.MethodPut, jobPath(id)+"/documents/"+url.PathEscape(string(f)), idempotencyKey, doc, &j); err != nil {
		return nil, err
	}
	return &j, nil
}
