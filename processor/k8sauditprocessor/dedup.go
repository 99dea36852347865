// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor // import "github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor"

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// deduplicator remembers the (auditID, stage) pairs seen within a window.
// kube-apiserver's webhook backend re-sends a whole batch after any error,
// so a pair seen again soon after is a copy. Memory is bounded by maxEntries:
// when full, the oldest pair is forgotten first.
type deduplicator struct {
	window     time.Duration
	maxEntries int
	now        func() time.Time

	mu   sync.Mutex
	seen map[string]time.Time
	// order is a FIFO of what was added, oldest at head.
	order []dedupEntry
	head  int
}

type dedupEntry struct {
	key  string
	seen time.Time
}

func newDeduplicator(cfg *DedupConfig, now func() time.Time) *deduplicator {
	return &deduplicator{
		window:     cfg.Window,
		maxEntries: cfg.MaxEntries,
		now:        now,
		seen:       make(map[string]time.Time),
	}
}

// duplicate records (auditID, stage) and reports whether it was seen within
// the window.
func (d *deduplicator) duplicate(auditID, stage string) bool {
	key := auditID + "\x00" + stage
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire(now)
	if t, ok := d.seen[key]; ok && now.Sub(t) < d.window {
		return true
	}
	for len(d.seen) >= d.maxEntries && d.head < len(d.order) {
		d.evictOldest()
	}
	d.seen[key] = now
	d.order = append(d.order, dedupEntry{key: key, seen: now})
	return false
}

func (d *deduplicator) expire(now time.Time) {
	for d.head < len(d.order) && now.Sub(d.order[d.head].seen) >= d.window {
		d.evictOldest()
	}
}

func (d *deduplicator) evictOldest() {
	if d.head >= len(d.order) {
		return
	}
	e := d.order[d.head]
	d.order[d.head] = dedupEntry{}
	d.head++
	// The key may have been seen again since; forget only this sighting.
	if t, ok := d.seen[e.key]; ok && t.Equal(e.seen) {
		delete(d.seen, e.key)
	}
	// Reclaim the consumed head once it is half the queue.
	if d.head > 1024 && d.head*2 >= len(d.order) {
		n := copy(d.order, d.order[d.head:])
		clear(d.order[n:])
		d.order = d.order[:n]
		d.head = 0
	}
}

// len is the number of pairs remembered.
func (d *deduplicator) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.seen)
}

// forget takes back a sighting, so that a retry of the same record is not
// taken for a duplicate.
func (d *deduplicator) forget(auditID, stage string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.seen, auditID+"\x00"+stage)
}

// dedupCommit sits between the processor and the rest of the pipeline: when
// the pipeline refuses a batch, the records the processor let through are
// forgotten again. Without it the retry (the file source's, or
// kube-apiserver's re-sent batch) would be dropped as duplicates of records
// that were never delivered.
type dedupCommit struct {
	next  consumer.Logs
	dedup *deduplicator
}

func (c dedupCommit) Capabilities() consumer.Capabilities { return c.next.Capabilities() }

func (c dedupCommit) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	// Read the keys first: the next consumer may change the records.
	type key struct{ id, stage string }
	var keys []key
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				id, ok := lr.Attributes().Get(auditevent.AttrAuditID)
				if !ok || id.Type() != pcommon.ValueTypeStr {
					continue
				}
				var stage string
				if v, ok := lr.Attributes().Get(auditevent.AttrStage); ok {
					stage = v.AsString()
				}
				keys = append(keys, key{id.Str(), stage})
			}
		}
	}
	err := c.next.ConsumeLogs(ctx, ld)
	if err != nil {
		for _, k := range keys {
			c.dedup.forget(k.id, k.stage)
		}
	}
	return err
}
