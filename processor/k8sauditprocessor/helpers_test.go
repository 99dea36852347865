// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor/internal/metadata"
)

var (
	sharedDir = filepath.Join("..", "..", "..", "shared")
	// examplesDir holds one real kube-apiserver v1.37 event of each kind.
	examplesDir  = filepath.Join(sharedDir, "fixtures", "kube-apiserver-v1.37", "secrets-requestresponse", "examples")
	webhookDir   = filepath.Join(sharedDir, "fixtures", "kube-apiserver-v1.37", "secrets-requestresponse", "webhook")
	testObserved = pcommon.NewTimestampFromTime(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC))
)

// example is the path of a captured example event.
func example(name string) string { return filepath.Join(examplesDir, name+".json") }

// logsFrom converts inputs as the receiver does: .json is one event, .body
// a webhook payload, anything else a literal event's JSON text.
func logsFrom(t testing.TB, rawBody bool, inputs ...string) plog.Logs {
	t.Helper()
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	c := auditevent.Converter{RawBody: rawBody}
	for _, in := range inputs {
		var raw []byte
		switch filepath.Ext(in) {
		case ".json", ".body":
			var err error
			raw, err = os.ReadFile(in)
			require.NoError(t, err)
		default:
			raw = []byte(in)
		}
		if filepath.Ext(in) == ".body" {
			_, err := c.AppendPayload(lrs, raw, testObserved)
			require.NoError(t, err)
			continue
		}
		counts := c.AppendEvent(lrs, raw, "", testObserved)
		require.Equal(t, 1, counts.Events, "not an event: %.200s", in)
	}
	return ld
}

// noFeatures is a configuration with every feature off, to test one at a time.
func noFeatures() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Enrich = EnrichConfig{}
	cfg.Redaction.Secrets = false
	cfg.Redaction.Tokens = false
	return cfg
}

var fixedNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func newTestProcessor(t testing.TB, cfg *Config) *auditProcessor {
	t.Helper()
	require.NoError(t, cfg.Validate())
	p, err := newProcessor(processortest.NewNopSettings(metadata.Type), cfg, func() time.Time { return fixedNow })
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.shutdown(context.Background())) })
	return p
}

// process runs the processor on ld and returns what it passes on (empty
// when it skips the whole batch).
func process(t testing.TB, p *auditProcessor, ld plog.Logs) plog.Logs {
	t.Helper()
	out, err := p.processLogs(context.Background(), ld)
	if err != nil {
		require.ErrorContains(t, err, "skip")
		return plog.NewLogs()
	}
	return out
}

func compareGolden(t *testing.T, file string, actual plog.Logs) {
	t.Helper()
	// golden.WriteLogs(t, file, actual)
	expected, err := golden.ReadLogs(file)
	require.NoError(t, err)
	require.NoError(t, plogtest.CompareLogs(expected, actual))
}

func records(ld plog.Logs) []plog.LogRecord {
	var out []plog.LogRecord
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				out = append(out, lrs.At(k))
			}
		}
	}
	return out
}
