package vertex

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"google.golang.org/genai"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/prompts"
	"contentfactory.dev/factory/shared/ai/retry"
	"contentfactory.dev/factory/shared/content"
)

// CacheEntry records a job's context cache.
type CacheEntry struct {
	// Name is the cache's resource name,
	// projects/P/locations/L/cachedContents/ID.
	Name string `json:"name" firestore:"name"`
	// Model is the model the cache was made for; only that model can use
	// it.
	Model string `json:"model" firestore:"model"`
	// ExpireTime is when Vertex deletes it.
	ExpireTime time.Time `json:"expire_time" firestore:"expire_time"`
}

// Live reports whether the entry can still be used at now, with a margin
// for the call that will use it.
func (e CacheEntry) Live(now time.Time) bool {
	return e.Name != "" && e.ExpireTime.After(now.Add(cacheMargin))
}

// cacheMargin is how long before its expiry a cache is no longer used.
const cacheMargin = 2 * time.Minute

// CacheIndex finds the context cache of a job. The steps of a job run in
// different processes, so the index must be shared: the pipeline backs it
// with a Firestore document cache/{job}. Every implementation must pass
// cachetest.IndexConformance.
type CacheIndex interface {
	// Get returns the job's entry, if there is one.
	Get(ctx context.Context, jobID string) (CacheEntry, bool, error)
	// PutIfAbsent stores e as the job's entry unless a live entry (see
	// CacheEntry.Live) is already there, atomically, and returns the entry
	// that is stored afterwards: e when it won, the other one otherwise.
	PutIfAbsent(ctx context.Context, jobID string, e CacheEntry) (CacheEntry, error)
	// Delete removes the job's entry; a missing entry is not an error.
	Delete(ctx context.Context, jobID string) error
}

// MemoryIndex is a CacheIndex in memory, for tests and single-process
// use.
type MemoryIndex struct {
	mu sync.Mutex
	m  map[string]CacheEntry
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

var _ CacheIndex = (*MemoryIndex)(nil)

func (x *MemoryIndex) now() time.Time {
	if x.Now != nil {
		return x.Now()
	}
	return time.Now()
}

// Get implements CacheIndex.
func (x *MemoryIndex) Get(_ context.Context, jobID string) (CacheEntry, bool, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	e, ok := x.m[jobID]
	return e, ok, nil
}

// PutIfAbsent implements CacheIndex.
func (x *MemoryIndex) PutIfAbsent(_ context.Context, jobID string, e CacheEntry) (CacheEntry, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if old, ok := x.m[jobID]; ok && old.Live(x.now()) {
		return old, nil
	}
	if x.m == nil {
		x.m = map[string]CacheEntry{}
	}
	x.m[jobID] = e
	return e, nil
}

// Delete implements CacheIndex.
func (x *MemoryIndex) Delete(_ context.Context, jobID string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.m, jobID)
	return nil
}

// ListIndex finds a job's cache by its display name "job-<id>" in the
// project's cache list, so it needs no store of its own. When two steps
// created caches for the same job, the oldest one (then the smallest
// name) wins. The list is read in full for every lookup, so it suits a
// project with few live caches; the pipeline's Firestore index is the
// better choice at scale.
type ListIndex struct {
	Caches *genai.Caches
}

var _ CacheIndex = ListIndex{}

// listTimeout bounds one read of the whole cache list.
const listTimeout = 30 * time.Second

// DisplayName is the display name of a job's cache.
func DisplayName(jobID string) string { return "job-" + jobID }

func (x ListIndex) all(ctx context.Context, jobID string) ([]*genai.CachedContent, error) {
	ctx, cancel := context.WithTimeout(ctx, listTimeout)
	defer cancel()
	var out []*genai.CachedContent
	for c, err := range x.Caches.All(ctx) {
		if err != nil {
			return nil, fmt.Errorf("list context caches: %w", err)
		}
		if c.DisplayName == DisplayName(jobID) {
			out = append(out, c)
		}
	}
	return out, nil
}

func winner(cs []*genai.CachedContent, now time.Time) (CacheEntry, bool) {
	var best *genai.CachedContent
	for _, c := range cs {
		e := entryOf(c)
		if !e.Live(now) {
			continue
		}
		if best == nil || c.CreateTime.Before(best.CreateTime) ||
			(c.CreateTime.Equal(best.CreateTime) && c.Name < best.Name) {
			best = c
		}
	}
	if best == nil {
		return CacheEntry{}, false
	}
	return entryOf(best), true
}

func entryOf(c *genai.CachedContent) CacheEntry {
	return CacheEntry{Name: c.Name, Model: c.Model[strings.LastIndex(c.Model, "/")+1:], ExpireTime: c.ExpireTime}
}

// Get implements CacheIndex.
func (x ListIndex) Get(ctx context.Context, jobID string) (CacheEntry, bool, error) {
	cs, err := x.all(ctx, jobID)
	if err != nil {
		return CacheEntry{}, false, err
	}
	e, ok := winner(cs, time.Now())
	return e, ok, nil
}

// PutIfAbsent implements CacheIndex: the cache e names already exists
// under the job's display name, so the winner among the job's caches is
// the stored entry.
func (x ListIndex) PutIfAbsent(ctx context.Context, jobID string, e CacheEntry) (CacheEntry, error) {
	cs, err := x.all(ctx, jobID)
	if err != nil {
		return CacheEntry{}, err
	}
	if w, ok := winner(cs, time.Now()); ok {
		return w, nil
	}
	return e, nil
}

// Delete implements CacheIndex; the list has nothing to forget.
func (ListIndex) Delete(context.Context, string) error { return nil }

// cacheTokens estimates the tokens of a job's passages: four characters a
// token.
func cacheTokens(set *content.SourceSet) int {
	n := 0
	for _, p := range set.Passages {
		n += utf8.RuneCountInString(p.Text)
	}
	return n / 4
}

// wantsCache reports whether a job's passages are large enough to be
// cached.
func (c *Client) wantsCache(jobID string, set *content.SourceSet) bool {
	min := c.cfg.Text.CacheMinTokens
	return jobID != "" && min > 0 && set != nil && cacheTokens(set) > min
}

// jobCache returns the job's context cache for model, creating it if the
// job has none: at most one per job, also when steps race (the loser
// deletes its own). It returns "" when the job's cache is for another
// model. A call that created a cache is returned for the usage record.
// The cached system instruction carries the job's canary, which is the
// same for every step of the job.
func (c *Client) jobCache(ctx context.Context, jobID, model, setting string, set *content.SourceSet, canary string) (name, version string, calls []ai.Call, err error) {
	e, ok, err := c.index.Get(ctx, jobID)
	if err != nil {
		return "", "", nil, fmt.Errorf("look up the context cache of job %s: %w", jobID, err)
	}
	if ok && e.Live(time.Now()) {
		if e.Model != model {
			return "", "", nil, nil
		}
		return e.Name, prompts.Versions.Cache, nil, nil
	}
	cp, err := prompts.RenderCache(set, canary)
	if err != nil {
		return "", "", nil, err
	}
	start := time.Now()
	cc, err := retry.Value(ctx, c.retry, func(ctx context.Context) (*genai.CachedContent, error) {
		return attempt(ctx, c.cfg.Vertex.Timeout.D(), setting, model, func(ctx context.Context) (*genai.CachedContent, error) {
			return c.genai.Caches.Create(ctx, model, &genai.CreateCachedContentConfig{
				TTL:               c.cfg.Text.CacheTTL.D(),
				DisplayName:       DisplayName(jobID),
				Contents:          []*genai.Content{genai.NewContentFromText(cp.Source, genai.RoleUser)},
				SystemInstruction: genai.NewContentFromText(cp.System, genai.RoleUser),
			})
		})
	})
	if err != nil {
		return "", "", nil, fmt.Errorf("create the context cache of job %s: %w", jobID, err)
	}
	call := ai.Call{Backend: models.BackendVertex, Model: model, Duration: time.Since(start)}
	if cc.UsageMetadata != nil {
		call.PromptTokens = int64(cc.UsageMetadata.TotalTokenCount)
	}
	calls = []ai.Call{c.cfg.Priced(call)}
	mine := entryOf(cc)
	mine.Model = model
	won, err := c.index.PutIfAbsent(ctx, jobID, mine)
	if err != nil {
		c.dropCache(ctx, cc.Name)
		return "", "", calls, fmt.Errorf("record the context cache of job %s: %w", jobID, err)
	}
	if won.Name != mine.Name {
		c.log.InfoContext(ctx, "another step created the job's context cache first; deleting ours",
			"job", jobID, "ours", mine.Name, "theirs", won.Name)
		c.dropCache(ctx, mine.Name)
		if won.Model != model {
			return "", "", calls, nil
		}
	}
	return won.Name, prompts.Versions.Cache, calls, nil
}

// dropCache deletes a cache the step made but will not use, also when the
// step's context is done; a failure is only logged, since the cache
// expires by its TTL anyway.
func (c *Client) dropCache(ctx context.Context, name string) {
	if err := c.deleteCache(context.WithoutCancel(ctx), name); err != nil {
		c.log.WarnContext(ctx, "delete context cache", "cache", name, "error", err.Error())
	}
}

// deleteCache deletes a context cache; one that is gone already is no
// error.
func (c *Client) deleteCache(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := c.genai.Caches.Delete(ctx, name, nil); err != nil && !isNotFound(err) {
		return err
	}
	return nil
}

func isNotFound(err error) bool {
	var api genai.APIError
	return errors.As(err, &api) && api.Code == 404
}

// DeleteJobCache deletes the context cache of a job, if it has one; the
// pipeline calls it when the job ends. Caches also expire by their TTL.
func (c *Client) DeleteJobCache(ctx context.Context, jobID string) error {
	e, ok, err := c.index.Get(ctx, jobID)
	if err != nil {
		return fmt.Errorf("look up the context cache of job %s: %w", jobID, err)
	}
	names := map[string]bool{}
	if ok {
		names[e.Name] = true
	}
	if li, isList := c.index.(ListIndex); isList {
		// Every cache of the job, the losers of a race included.
		cs, err := li.all(ctx, jobID)
		if err != nil {
			return err
		}
		for _, cc := range cs {
			names[cc.Name] = true
		}
	}
	var errs []error
	for name := range names {
		if err := c.deleteCache(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("delete context cache %s: %w", name, err))
		}
	}
	if err := c.index.Delete(ctx, jobID); err != nil {
		errs = append(errs, fmt.Errorf("forget the context cache of job %s: %w", jobID, err))
	}
	return errors.Join(errs...)
}
