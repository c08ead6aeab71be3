package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"contentfactory.dev/factory/internal/devstack"
)

// client talks to the API.
type client struct {
	base string
	key  string
	http *http.Client
}

// clientFlags adds --api and --key to a command's flags and returns a
// function that makes the client: flags first, then FACTORY_API_URL and
// FACTORY_API_KEY, then the local stack's state file.
func clientFlags(fs *flag.FlagSet) func() (*client, error) {
	api := fs.String("api", os.Getenv("FACTORY_API_URL"), "API base URL (default: the local stack, or http://127.0.0.1:8080)")
	key := fs.String("key", os.Getenv("FACTORY_API_KEY"), "API key (default: the local stack's development key)")
	return func() (*client, error) {
		c := &client{base: *api, key: *key, http: &http.Client{
			Timeout: 60 * time.Second,
			// Artifact links redirect to signed URLs; fetch follows them itself.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}}
		if c.base == "" || c.key == "" {
			if st, err := readState(); err == nil {
				if c.base == "" {
					c.base = st.APIURL
				}
				if c.key == "" {
					c.key = st.DevKey
				}
			}
		}
		if c.base == "" {
			c.base = "http://127.0.0.1:8080"
		}
		if c.key == "" {
			return nil, errors.New("no API key: pass --key, set FACTORY_API_KEY, or start the local stack with `make run`")
		}
		c.base = strings.TrimSuffix(c.base, "/")
		return c, nil
	}
}

// readState reads the state file of a running `factory dev`.
func readState() (*devstack.State, error) {
	b, err := os.ReadFile(filepath.FromSlash(stateFile))
	if err != nil {
		return nil, err
	}
	var st devstack.State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("read %s: %w", stateFile, err)
	}
	return &st, nil
}

// apiError is a problem document the API answered with.
type apiError struct {
	Status int             `json:"status"`
	Code   string          `json:"code"`
	Detail string          `json:"detail"`
	Errors json.RawMessage `json:"errors"`
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Detail)
	if len(e.Errors) > 0 && string(e.Errors) != "null" {
		var fields []struct{ Field, Message string }
		if json.Unmarshal(e.Errors, &fields) == nil {
			for _, f := range fields {
				msg += fmt.Sprintf("\n  %s: %s", f.Field, f.Message)
			}
		}
	}
	return msg
}

// do sends a request and decodes a JSON answer into out.
func (c *client) do(ctx context.Context, method, path string, body any, out any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp, err
	}
	if resp.StatusCode >= 400 {
		e := &apiError{Status: resp.StatusCode}
		if json.Unmarshal(data, e) != nil || e.Code == "" {
			e.Code, e.Detail = http.StatusText(resp.StatusCode), strings.TrimSpace(string(data))
		}
		return resp, e
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp, fmt.Errorf("decode %s %s: %w", method, path, err)
		}
	}
	return resp, nil
}

// job is what the client reads of a job.
type job struct {
	ID         string    `json:"id"`
	Status     string    `json:"status"`
	Topic      string    `json:"topic"`
	Progress   float64   `json:"progress"`
	CreatedAt  time.Time `json:"created_at"`
	FinishedAt time.Time `json:"finished_at"`
	Steps      []struct {
		Name    string `json:"name"`
		Status  string `json:"status"`
		Attempt int    `json:"attempt"`
		Error   *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"steps"`
	Artifacts []struct {
		Name        string `json:"name"`
		Step        string `json:"step"`
		ContentType string `json:"content_type"`
		Size        int64  `json:"size"`
		URL         string `json:"url"`
	} `json:"artifacts"`
	Usage struct {
		Calls   int64   `json:"calls"`
		CostUSD float64 `json:"cost_usd"`
	} `json:"usage"`
}

func (j *job) ended() bool {
	switch j.Status {
	case "succeeded", "partial", "failed", "cancelled":
		return true
	}
	return false
}

func (c *client) job(ctx context.Context, id string) (*job, error) {
	var j job
	_, err := c.do(ctx, http.MethodGet, "/v1/jobs/"+id, nil, &j)
	return &j, err
}
