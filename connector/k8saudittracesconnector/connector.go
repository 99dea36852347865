// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector // import "github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector"

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector/internal/metadata"
)

// tracesConnector stitches the stages of each API request, which arrive in
// different batches, out of order and sometimes twice, into one span.
type tracesConnector struct {
	cfg       Config
	next      consumer.Traces
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	reasons   map[string]metric.MeasurementOption
	scope     pcommon.InstrumentationScope
	// now is the arrival clock that TTLs and windows count on; a seam for tests.
	now func() time.Time

	mu      sync.Mutex
	pending pendingSet
	emitted rememberedSet
	// borrowed are the requests made during this ConsumeLogs whose
	// attributes are still the input's: most end within the same batch
	// (a request's stages are logged a few lines apart), and their span is
	// then made from the records without copying the first one aside. The
	// rest are copied before the call returns (ownBorrowed).
	borrowed []*request

	stop chan struct{}
	done sync.WaitGroup
}

// counts are what one call did, for the telemetry.
type counts struct {
	duplicates, skipped, evicted, forgotten, pendingDelta int64
}

func newConnector(set connector.Settings, cfg *Config, next consumer.Traces, now func() time.Time) (*tracesConnector, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	scope := pcommon.NewInstrumentationScope()
	scope.SetName(metadata.ScopeName)
	scope.SetVersion(set.BuildInfo.Version)
	reasons := make(map[string]metric.MeasurementOption, 3)
	for _, r := range []string{reasonExpired, reasonEvicted, reasonShutdown} {
		reasons[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", r)))
	}
	return &tracesConnector{
		cfg:       *cfg,
		next:      next,
		logger:    set.Logger,
		telemetry: tb,
		reasons:   reasons,
		scope:     scope,
		now:       now,
		pending:   newPendingSet(),
		emitted:   newRememberedSet(cfg.DuplicateWindow, cfg.MaxRemembered),
	}, nil
}

func (c *tracesConnector) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

// Start runs the expiry ticker: without it, a request whose last stage
// never comes would wait until the next batch.
func (c *tracesConnector) Start(context.Context, component.Host) error {
	c.stop = make(chan struct{})
	c.done.Add(1)
	go c.run(tickInterval(c.cfg.TTL))
	return nil
}

func tickInterval(ttl time.Duration) time.Duration {
	return max(min(ttl/4, time.Second), time.Millisecond)
}

func (c *tracesConnector) run(interval time.Duration) {
	defer c.done.Done()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-ticker.C:
			if err := c.flushExpired(context.Background()); err != nil {
				c.logger.Warn("Expired spans were refused by the next consumer", zap.Error(err))
			}
		}
	}
}

// Shutdown emits the pending requests, incomplete: the collector shuts its
// pipelines down from the receivers on, so the next consumer still runs.
func (c *tracesConnector) Shutdown(ctx context.Context) error {
	if c.stop != nil {
		close(c.stop)
		c.done.Wait()
		c.stop = nil
	}
	out := newOutput(c.scope)
	var n counts
	c.mu.Lock()
	now := c.now()
	for r := c.pending.oldest(); r != nil; r = c.pending.oldest() {
		c.pending.remove(r)
		n.pendingDelta--
		c.emit(r, reasonShutdown, now, out, &n)
	}
	c.mu.Unlock()
	err := c.send(ctx, out, &n)
	c.telemetry.Shutdown()
	return err
}

func (c *tracesConnector) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	out := newOutput(c.scope)
	var n counts
	c.mu.Lock()
	now := c.now()
	rls := ld.ResourceLogs()
	for i := range rls.Len() {
		res := resourceOf{rl: rls.At(i)}
		sls := res.rl.ScopeLogs()
		for j := range sls.Len() {
			lrs := sls.At(j).LogRecords()
			for k := range lrs.Len() {
				c.observe(lrs.At(k), &res, now, out, &n)
			}
		}
	}
	c.expire(now, out, &n)
	c.ownBorrowed()
	c.mu.Unlock()
	return c.send(ctx, out, &n)
}

// ownBorrowed copies the attributes of the requests that still wait, before
// the batch they borrow from is given back. Called with mu held.
func (c *tracesConnector) ownBorrowed() {
	for i, r := range c.borrowed {
		if c.pending.get(r.key) == r {
			r.own()
		}
		c.borrowed[i] = nil
	}
	c.borrowed = c.borrowed[:0]
}

// flushExpired emits the requests that waited their TTL.
func (c *tracesConnector) flushExpired(ctx context.Context) error {
	out := newOutput(c.scope)
	var n counts
	c.mu.Lock()
	c.expire(c.now(), out, &n)
	c.mu.Unlock()
	return c.send(ctx, out, &n)
}

// observe adds one record to its request, emitting the request's span when
// the record ends it. Called with mu held.
func (c *tracesConnector) observe(lr plog.LogRecord, res *resourceOf, now time.Time, out *output, n *counts) {
	o, ok := readRecord(lr)
	if !ok {
		n.skipped++
		return
	}
	if c.emitted.has(o.key) {
		n.duplicates++
		return
	}
	r := c.pending.get(o.key)
	switch {
	case r == nil && o.ends:
		// The last stage first (a policy that omits the earlier stages,
		// or they were lost): nothing else will come, emit at once.
		req := newRequest(&o, lr.Attributes(), res.get(), now)
		c.emit(&req, "", now, out, n)
	case r == nil:
		if c.pending.len() >= c.cfg.MaxPending {
			oldest := c.pending.oldest()
			c.pending.remove(oldest)
			n.pendingDelta--
			n.evicted++
			c.emit(oldest, reasonEvicted, now, out, n)
		}
		req := newRequest(&o, lr.Attributes(), res.get(), now)
		c.pending.push(&req)
		c.borrowed = append(c.borrowed, &req)
		n.pendingDelta++
	case r.has(o.stage):
		n.duplicates++
	default:
		r.add(&o, lr.Attributes())
		if o.ends {
			c.pending.remove(r)
			n.pendingDelta--
			c.emit(r, "", now, out, n)
		}
	}
}

// expire emits the requests that waited their TTL and forgets the emitted
// requests older than the duplicate window. Called with mu held.
func (c *tracesConnector) expire(now time.Time, out *output, n *counts) {
	c.emitted.expire(now)
	for r := c.pending.oldest(); r != nil && now.Sub(r.arrived) >= c.cfg.TTL; r = c.pending.oldest() {
		c.pending.remove(r)
		n.pendingDelta--
		c.emit(r, reasonExpired, now, out, n)
	}
}

func (c *tracesConnector) emit(r *request, reason string, now time.Time, out *output, n *counts) {
	out.add(r, reason)
	n.forgotten += int64(c.emitted.add(r.key, now))
}

// send passes the spans on. If they are refused, their requests are
// forgotten, so that the retried records (kube-apiserver re-sends a batch
// that was not accepted) make them again instead of being dropped as
// duplicates.
func (c *tracesConnector) send(ctx context.Context, out *output, n *counts) error {
	c.record(ctx, n)
	if out.len() == 0 {
		return nil
	}
	if err := c.next.ConsumeTraces(ctx, out.traces); err != nil {
		c.mu.Lock()
		for _, k := range out.keys {
			c.emitted.forget(k)
		}
		c.mu.Unlock()
		return err
	}
	c.telemetry.ConnectorK8sAuditTracesSpans.Add(ctx, int64(out.len()))
	for reason, v := range out.incomplete {
		c.telemetry.ConnectorK8sAuditTracesIncompleteSpans.Add(ctx, v, c.reasons[reason])
	}
	return nil
}

func (c *tracesConnector) record(ctx context.Context, n *counts) {
	t := c.telemetry
	if n.duplicates > 0 {
		t.ConnectorK8sAuditTracesDuplicateRecords.Add(ctx, n.duplicates)
	}
	if n.skipped > 0 {
		t.ConnectorK8sAuditTracesSkippedRecords.Add(ctx, n.skipped)
	}
	if n.evicted > 0 {
		t.ConnectorK8sAuditTracesEvictedRequests.Add(ctx, n.evicted)
	}
	if n.forgotten > 0 {
		t.ConnectorK8sAuditTracesForgottenRequests.Add(ctx, n.forgotten)
	}
	if n.pendingDelta != 0 {
		t.ConnectorK8sAuditTracesPendingRequests.Add(ctx, n.pendingDelta)
	}
}
