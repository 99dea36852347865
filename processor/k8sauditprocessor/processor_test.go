// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor/internal/metadatatest"
)

// foreignLogs are records the receiver did not make, or made for bad input.
func foreignLogs(t *testing.T) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	lrs.AppendEmpty().Body().SetStr("Authorization: Bearer not-ours-so-untouched")
	(&auditevent.Converter{}).AppendEvent(lrs, []byte(`{"kind":"Event","auditID":`), "", testObserved)
	other := lrs.AppendEmpty()
	other.Attributes().PutStr(auditevent.AttrAuditID, "id-but-no-body")
	other.Body().SetInt(3)
	// A resource without scopes, and a scope without records.
	ld.ResourceLogs().AppendEmpty()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	return ld
}

func TestForeignRecordsPassUntouchedAndCounted(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	sink := new(consumertest.LogsSink)
	cfg := createDefaultConfig().(*Config)
	cfg.Policy = filepath.Join("testdata", "policy", "pods-deployments.yaml")
	proc, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(tel), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, proc.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, proc.Shutdown(context.Background())) })

	in := foreignLogs(t)
	want := plog.NewLogs()
	in.CopyTo(want)
	require.NoError(t, proc.ConsumeLogs(context.Background(), in))
	require.Len(t, sink.AllLogs(), 1)
	assert.Equal(t, want, sink.AllLogs()[0])
	metadatatest.AssertEqualProcessorK8sAuditForeignRecords(t, tel, []metricdata.DataPoint[int64]{{Value: 3}}, metricdatatest.IgnoreTimestamp())

	// A batch the policy drops entirely is not passed on at all.
	require.NoError(t, proc.ConsumeLogs(context.Background(), logsFrom(t, false, example("ResponseComplete-create-secret"), example("ResponseComplete-nonresource"))))
	assert.Len(t, sink.AllLogs(), 1)
	metadatatest.AssertEqualProcessorK8sAuditPolicyDroppedRecords(t, tel, []metricdata.DataPoint[int64]{{Value: 2}}, metricdatatest.IgnoreTimestamp())

	// A mixed batch keeps the foreign records and the kept audit records.
	mixed := foreignLogs(t)
	ours := logsFrom(t, false, example("ResponseComplete-create-secret"), variant(t, "ResponseComplete-create-deployment", inNamespace("default")))
	ours.ResourceLogs().MoveAndAppendTo(mixed.ResourceLogs())
	require.NoError(t, proc.ConsumeLogs(context.Background(), mixed))
	require.Len(t, sink.AllLogs(), 2)
	assert.Equal(t, 4, sink.AllLogs()[1].LogRecordCount())
	assert.Equal(t, 4, sink.AllLogs()[1].ResourceLogs().Len(), "foreign resources, even empty ones, stay")
}

func TestTelemetryCounts(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg := createDefaultConfig().(*Config)
	cfg.Dedup = configoptional.Some(DedupConfig{Window: time.Minute, MaxEntries: 10})
	proc, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(tel), cfg, consumertest.NewNop())
	require.NoError(t, err)
	in := func() plog.Logs { return logsFrom(t, false, example("ResponseComplete-create-secret")) }
	require.NoError(t, proc.ConsumeLogs(context.Background(), in()))
	require.NoError(t, proc.ConsumeLogs(context.Background(), in()))
	metadatatest.AssertEqualProcessorK8sAuditDuplicateRecords(t, tel, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	// The Secret's two data values, in the request and the response object.
	metadatatest.AssertEqualProcessorK8sAuditRedactedValues(t, tel, []metricdata.DataPoint[int64]{{Value: 4}}, metricdatatest.IgnoreTimestamp())
	require.NoError(t, proc.Shutdown(context.Background()))
}

func TestCreateFailsOnBadPolicy(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Policy = filepath.Join("testdata", "policy", "gce-v1beta1.yaml")
	_, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(componenttest.NewTelemetry()), cfg, consumertest.NewNop())
	require.ErrorContains(t, err, "policy: ")
}

// TestProcessIsIdempotent: a second processor (two pipelines in a row) changes
// nothing more.
func TestProcessIsIdempotent(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Redaction.Pseudonymize = pseudonymizeAll()
	once := process(t, newTestProcessor(t, cfg), logsFrom(t, false, example("ResponseComplete-create-secret"), example("ResponseComplete-403-alice")))
	twice := plog.NewLogs()
	once.CopyTo(twice)
	twice = process(t, newTestProcessor(t, cfg), twice)
	for i, lr := range records(twice) {
		lr.Attributes().PutInt(attrRedactedCount, 0)
		records(once)[i].Attributes().PutInt(attrRedactedCount, 0)
	}
	require.NoError(t, plogtest.CompareLogs(once, twice))
}

// TestBadInputRedactionIsCounted: a bad-input record is foreign (no
// enrichment, policy or dedup) yet redacted, and what was redacted is counted.
func TestBadInputRedactionIsCounted(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	proc, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(tel), createDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	raw := variant(t, "ResponseComplete-create-secret", func(ev map[string]any) { ev["stage"] = "Bogus" })
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	require.Equal(t, 1, (&auditevent.Converter{}).AppendEvent(lrs, []byte(raw), "", testObserved).Malformed)
	require.NoError(t, proc.ConsumeLogs(context.Background(), ld))
	metadatatest.AssertEqualProcessorK8sAuditForeignRecords(t, tel, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	// The Secret's two data values, in the request and the response object.
	metadatatest.AssertEqualProcessorK8sAuditRedactedValues(t, tel, []metricdata.DataPoint[int64]{{Value: 4}}, metricdatatest.IgnoreTimestamp())
	require.NoError(t, proc.Shutdown(context.Background()))
}
