// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver/internal/metadata"
	"github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver/internal/metadatatest"
)

// testEvent is an audit event as kube-apiserver builds it before a backend
// serialises it. padding adds a request object of about that many bytes.
func testEvent(i int, stage auditinternal.Stage, padding int) *auditinternal.Event {
	received := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
	ev := &auditinternal.Event{
		Level:      auditinternal.LevelMetadata,
		AuditID:    types.UID(testAuditID(i)),
		Stage:      stage,
		RequestURI: fmt.Sprintf("/api/v1/namespaces/team-%d/configmaps/cm-%d", i%7, i),
		Verb:       "update",
		User: authnv1.UserInfo{
			Username: "system:serviceaccount:kube-system:replicaset-controller",
			Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
		},
		SourceIPs: []string{"10.0.0.12"},
		UserAgent: "kube-controller-manager/v1.37.2 (linux/amd64) kubernetes/5c1ba23/system:serviceaccount:kube-system:replicaset-controller",
		ObjectRef: &auditinternal.ObjectReference{
			Resource: "configmaps", Namespace: fmt.Sprintf("team-%d", i%7), Name: fmt.Sprintf("cm-%d", i), APIVersion: "v1",
		},
		ResponseStatus:           &metav1.Status{Code: 200},
		RequestReceivedTimestamp: metav1.NewMicroTime(received),
		StageTimestamp:           metav1.NewMicroTime(received.Add(3 * time.Millisecond)),
		Annotations: map[string]string{
			"authorization.k8s.io/decision": "allow",
			"authorization.k8s.io/reason":   `RBAC: allowed by ClusterRoleBinding "system:controller:replicaset-controller"`,
		},
	}
	if padding > 0 {
		ev.Level = auditinternal.LevelRequest
		ev.RequestObject = &runtime.Unknown{
			Raw:         fmt.Appendf(nil, `{"kind":"ConfigMap","apiVersion":"v1","data":{"blob":%q}}`, strings.Repeat("x", padding)),
			ContentType: runtime.ContentTypeJSON,
		}
	}
	return ev
}

// testAuditID is a UUID, as kube-apiserver's audit IDs are.
func testAuditID(i int) string {
	return fmt.Sprintf("7e1c5b7a-0d2e-4c1f-9a3b-%012d", i)
}

// recordKey identifies one stage of one request.
type recordKey struct{ auditID, stage string }

// recordCounts counts the records per (auditID, stage) in everything the sink got.
func recordCounts(sink *consumertest.LogsSink) map[recordKey]int {
	counts := map[recordKey]int{}
	for _, ld := range sink.AllLogs() {
		forEachRecord(ld, func(lr plog.LogRecord) {
			id, _ := lr.Attributes().Get(auditevent.AttrAuditID)
			stage, _ := lr.Attributes().Get(auditevent.AttrStage)
			counts[recordKey{id.AsString(), stage.AsString()}]++
		})
	}
	return counts
}

func forEachRecord(ld plog.Logs, fn func(plog.LogRecord)) {
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				fn(lrs.At(k))
			}
		}
	}
}

// hostWithExtensions is a component.Host that offers the given extensions.
type hostWithExtensions map[component.ID]component.Component

func (h hostWithExtensions) GetExtensions() map[component.ID]component.Component { return h }

var fileStorageID = component.MustNewID("file_storage")

// startFileStorage starts a file_storage extension keeping its data in dir,
// as the distribution's own would.
func startFileStorage(t *testing.T, dir string) hostWithExtensions {
	t.Helper()
	factory := filestorage.NewFactory()
	cfg := factory.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	ext, err := factory.Create(context.Background(), extensiontest.NewNopSettings(factory.Type()), cfg)
	require.NoError(t, err)
	host := hostWithExtensions{fileStorageID: ext}
	require.NoError(t, ext.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	return host
}

// receiverOption changes how startReceiver builds the receiver.
type receiverOption func(*consumer.Logs)

// withConsumer makes next the receiver's pipeline instead of the sink.
func withConsumer(next consumer.Logs) receiverOption {
	return func(c *consumer.Logs) { *c = next }
}

func startReceiver(t *testing.T, cfg *Config, host component.Host, sink *consumertest.LogsSink, tt *componenttest.Telemetry, opts ...receiverOption) *auditReceiver {
	t.Helper()
	set := receivertest.NewNopSettings(metadata.Type)
	if tt != nil {
		set = metadatatest.NewSettings(tt)
	}
	// One ID across restarts, as in a collector config: the checkpoint's
	// storage key is derived from it (NewNopSettings names it at random).
	set.ID = component.NewIDWithName(metadata.Type, "test")
	if os.Getenv("K8SAUDIT_TEST_DEBUG") != "" {
		set.Logger = zaptest.NewLogger(t, zaptest.Level(zap.DebugLevel))
	}
	var next consumer.Logs = sink
	for _, opt := range opts {
		opt(&next)
	}
	r, err := newReceiver(set, cfg, next)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), host))
	return r
}
