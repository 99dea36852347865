// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/featuregate"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/xpdata/pref"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// TestFileSourceUnderProtoPooling: with the collector's
// pdata.useProtoPooling gate, a batch's memory goes back to a pool as soon
// as the pipeline's first ConsumeLogs returns, refused or not (the
// collector's refconsumer, which pipelineOwned stands in for). The file
// source must count a batch before it hands it over, and keep it through
// the retries of a refusal. Every batch here is refused once.
func TestFileSourceUnderProtoPooling(t *testing.T) {
	require.NoError(t, featuregate.GlobalRegistry().Set("pdata.useProtoPooling", true))
	defer func() { require.NoError(t, featuregate.GlobalRegistry().Set("pdata.useProtoPooling", false)) }()

	dir := t.TempDir()
	log := newAPIServerLog(dir, false)
	const total = 300 // three batches
	var want []recordKey
	for i := range total {
		log.write(t, testEvent(i, auditinternal.StageResponseComplete, 0))
		want = append(want, recordKey{testAuditID(i), auditevent.StageResponseComplete})
	}
	require.NoError(t, log.writer.Close())

	tt := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
	sink := new(consumertest.LogsSink)
	r := startReceiver(t, fileConfig(dir), componenttest.NewNopHost(), nil, tt,
		withConsumer(pipelineOwned{next: &refusesOnce{sink: sink}}))
	assertEachOnce(t, sink, want)
	require.NoError(t, r.Shutdown(context.Background()))

	m, err := tt.GetMetric("otelcol_receiver_accepted_log_records")
	require.NoError(t, err)
	var accepted int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		accepted += dp.Value
	}
	assert.Equal(t, int64(total), accepted, "accepted records")
}

// pipelineOwned does what the collector puts before the first consumer of
// a pipeline: the batch is given back when its first ConsumeLogs returns.
type pipelineOwned struct{ next consumer.Logs }

func (p pipelineOwned) Capabilities() consumer.Capabilities { return p.next.Capabilities() }

func (p pipelineOwned) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if pref.MarkPipelineOwnedLogs(ld) {
		defer pref.UnrefLogs(ld)
	}
	return p.next.ConsumeLogs(ctx, ld)
}

// refusesOnce refuses every other call, which is retryable, and keeps a copy
// of what it accepts: the batch itself is reused once given back.
type refusesOnce struct {
	sink  *consumertest.LogsSink
	calls atomic.Int64
}

func (c *refusesOnce) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c *refusesOnce) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if c.calls.Add(1)%2 == 1 {
		return errors.New("exporter queue is full")
	}
	kept := plog.NewLogs()
	ld.CopyTo(kept)
	return c.sink.ConsumeLogs(ctx, kept)
}
