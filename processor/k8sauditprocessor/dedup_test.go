// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
)

func TestDedupWindowAndBound(t *testing.T) {
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	d := newDeduplicator(&DedupConfig{Window: time.Minute, MaxEntries: 3}, func() time.Time { return now })

	assert.False(t, d.duplicate("a", "RequestReceived"))
	assert.False(t, d.duplicate("a", "ResponseComplete"), "another stage of the same request")
	assert.True(t, d.duplicate("a", "RequestReceived"))
	now = now.Add(59 * time.Second)
	assert.True(t, d.duplicate("a", "RequestReceived"), "within the window")
	now = now.Add(time.Second)
	assert.False(t, d.duplicate("a", "RequestReceived"), "the window has passed")

	// The bound: the oldest pairs are forgotten first.
	for i := range 10 {
		assert.False(t, d.duplicate(fmt.Sprint("id", i), "ResponseComplete"))
		assert.LessOrEqual(t, d.len(), 3)
	}
	assert.True(t, d.duplicate("id9", "ResponseComplete"))
	assert.False(t, d.duplicate("id0", "ResponseComplete"), "forgotten at the bound")
}

func TestDedupQueueIsReclaimed(t *testing.T) {
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	d := newDeduplicator(&DedupConfig{Window: time.Second, MaxEntries: 100}, func() time.Time { return now })
	for i := range 100_000 {
		now = now.Add(time.Millisecond)
		d.duplicate(fmt.Sprint(i), "ResponseComplete")
	}
	assert.LessOrEqual(t, d.len(), 100)
	assert.Less(t, cap(d.order), 10_000, "the queue does not grow without bound")
}

// TestDedupGolden: kube-apiserver re-sent the same webhook batch; the copy
// is dropped and counted, other stages of the same requests stay.
func TestDedupGolden(t *testing.T) {
	cfg := noFeatures()
	cfg.Dedup = configoptional.Some(DedupConfig{Window: time.Minute, MaxEntries: 1000})
	p := newTestProcessor(t, cfg)
	batch := filepath.Join(webhookDir, "001567.body")
	first := process(t, p, logsFrom(t, false, batch, example("ResponseComplete-create-secret")))
	assert.Equal(t, 2, first.LogRecordCount())
	again := process(t, p, logsFrom(t, false, batch, example("ResponseStarted-watch-pods"), example("ResponseComplete-watch-pods")))
	compareGolden(t, filepath.Join("testdata", "dedup", "expected.yaml"), again)
	assert.Equal(t, 2, again.LogRecordCount())
}

// A batch the rest of the pipeline refused is not remembered: its retry
// (kube-apiserver re-sends the batch, the file source re-offers the lines)
// must go through, not be dropped as a duplicate of what was never delivered.
func TestDedupForgetsWhatThePipelineRefused(t *testing.T) {
	cfg := noFeatures()
	cfg.Dedup = configoptional.Some(DedupConfig{Window: time.Minute, MaxEntries: 1000})
	next := &refuseOnce{err: errors.New("sending queue is full")}
	factory := NewFactory()
	proc, err := factory.CreateLogs(context.Background(), processortest.NewNopSettings(factory.Type()), cfg, next)
	require.NoError(t, err)
	require.NoError(t, proc.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, proc.Shutdown(context.Background())) }()

	batch := filepath.Join(webhookDir, "001567.body")
	want := logsFrom(t, false, batch).LogRecordCount()
	require.Error(t, proc.ConsumeLogs(context.Background(), logsFrom(t, false, batch)))
	require.NoError(t, proc.ConsumeLogs(context.Background(), logsFrom(t, false, batch)), "the retry")
	assert.Equal(t, want, next.sink.LogRecordCount(), "the retry is delivered whole")
	require.NoError(t, proc.ConsumeLogs(context.Background(), logsFrom(t, false, batch)))
	assert.Equal(t, want, next.sink.LogRecordCount(), "a copy of a delivered batch is dropped")
}

type refuseOnce struct {
	err     error
	refused bool
	sink    consumertest.LogsSink
}

func (r *refuseOnce) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

func (r *refuseOnce) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if !r.refused {
		r.refused = true
		return r.err
	}
	return r.sink.ConsumeLogs(ctx, ld)
}
