// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector/internal/metadata"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

var eventEpoch = time.Date(2026, 11, 22, 13, 30, 0, 0, time.UTC)

// auditID is a UUID-shaped audit ID, like kube-apiserver's.
func auditID(n int) string { return fmt.Sprintf("7e1f0c2a-5b3d-4c8e-9a6f-%012d", n) }

// eventJSON is a get of a ConfigMap at stage, received at rr and at the
// stage at st (offsets from eventEpoch).
func eventJSON(id, stage string, rr, st time.Duration, code int) string {
	status := ""
	if stage != auditevent.StageRequestReceived {
		status = fmt.Sprintf(`"responseStatus":{"metadata":{},"code":%d},"annotations":{"authorization.k8s.io/decision":"allow"},`, code)
	}
	return fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":%q,"stage":%q,`+
		`"requestURI":"/api/v1/namespaces/demo/configmaps/cm-1","verb":"get","user":{"username":"admin"},"sourceIPs":["10.0.0.7"],`+
		`"objectRef":{"resource":"configmaps","namespace":"demo","name":"cm-1","apiVersion":"v1"},%s`+
		`"requestReceivedTimestamp":%q,"stageTimestamp":%q}`,
		id, stage, status, eventEpoch.Add(rr).Format(time.RFC3339Nano), eventEpoch.Add(st).Format(time.RFC3339Nano))
}

// logsOf converts event JSON into one batch, as the receiver does.
func logsOf(t testing.TB, raw bool, events ...string) plog.Logs {
	t.Helper()
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(auditevent.AttrClusterName, "test")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	conv := auditevent.Converter{RawBody: raw}
	for _, e := range events {
		n := conv.AppendEvent(lrs, []byte(e), "", pcommon.NewTimestampFromTime(eventEpoch))
		require.Equal(t, 1, n.Events, "a valid event: %s", e)
	}
	return ld
}

func newNopSettings() connector.Settings { return connectortest.NewNopSettings(metadata.Type) }
