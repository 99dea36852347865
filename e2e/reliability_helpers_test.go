// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"gopkg.in/natefinch/lumberjack.v2"
	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/apiserver/pkg/audit"
	auditlog "k8s.io/apiserver/plugin/pkg/audit/log"
)

// reliabilityEnv enables the long tests (`make test-reliability`).
const reliabilityEnv = "K8SAUDIT_RELIABILITY"

func reliabilityBinary(t *testing.T) string {
	t.Helper()
	if os.Getenv(reliabilityEnv) == "" {
		t.Skipf("%s is not set; `make test-reliability` runs this test", reliabilityEnv)
	}
	binary := os.Getenv(binaryEnv)
	if binary == "" {
		t.Skipf("%s is not set; `make test-reliability` builds the collector and sets it", binaryEnv)
	}
	return binary
}

// keyCounter is an OTLP/HTTP logs endpoint that counts the records of each
// (auditID, stage), can go away and come back on the same address, and keeps
// every byte it was sent when asked to.
type keyCounter struct {
	addr string

	mu      sync.Mutex
	counts  map[string]int
	records int
	raw     []byte // decompressed request bodies, when keepRaw
	keepRaw bool

	srv *http.Server
	wg  sync.WaitGroup
}

func newKeyCounter(t *testing.T, keepRaw bool) *keyCounter {
	t.Helper()
	k := &keyCounter{addr: freeAddr(t), counts: map[string]int{}, keepRaw: keepRaw}
	k.up(t)
	t.Cleanup(k.down)
	return k
}

func (k *keyCounter) url() string { return "http://" + k.addr }

// up starts serving; the address is the same every time.
func (k *keyCounter) up(t *testing.T) {
	t.Helper()
	var ln net.Listener
	require.Eventually(t, func() bool {
		var err error
		ln, err = net.Listen("tcp", k.addr)
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "listen on %s", k.addr)
	mux := http.NewServeMux()
	mux.HandleFunc(sinkLogsPath, k.handle)
	k.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	srv := k.srv
	k.wg.Go(func() { _ = srv.Serve(ln) })
}

// down closes the listener and every connection: the endpoint is gone.
func (k *keyCounter) down() {
	if k.srv != nil {
		_ = k.srv.Close()
		k.wg.Wait()
		k.srv = nil
	}
}

func (k *keyCounter) handle(w http.ResponseWriter, r *http.Request) {
	req := plogotlp.NewExportRequest()
	var data []byte
	if !readOTLP(w, r, func(b []byte) error { data = b; return req.UnmarshalProto(b) }) {
		return
	}
	k.mu.Lock()
	if k.keepRaw {
		k.raw = append(k.raw, data...)
	}
	rls := req.Logs().ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for n := 0; n < lrs.Len(); n++ {
				attrs := lrs.At(n).Attributes()
				key := "bad-input"
				if id, ok := attrs.Get(attrAuditID); ok {
					stage, _ := attrs.Get(attrStage)
					key = id.AsString() + "/"
					if stage.Type() != pcommon.ValueTypeEmpty {
						key += stage.AsString()
					}
				}
				k.counts[key]++
				k.records++
			}
		}
	}
	k.mu.Unlock()
	replyOTLP(w, plogotlp.NewExportResponse().MarshalProto)
}

// tally says how many of want arrived, and how many records were repeats.
func (k *keyCounter) tally(want []string) (arrived, duplicates, total int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, key := range want {
		if k.counts[key] > 0 {
			arrived++
		}
	}
	for _, n := range k.counts {
		duplicates += n - 1
	}
	return arrived, duplicates, k.records
}

func (k *keyCounter) rawBytes() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]byte(nil), k.raw...)
}

// apiserverLogWriter is kube-apiserver's log backend writing through
// lumberjack, as --audit-log-path, --audit-log-maxsize=1 and (optionally)
// --audit-log-compress configure it. Backups are kept (maxbackup 0) so that
// the test, not the writer, decides what is gone.
type apiserverLogWriter struct {
	lj      *lumberjack.Logger
	backend audit.Backend
	written atomic.Int64
}

func newAPIServerLogWriter(dir string, compress bool) *apiserverLogWriter {
	lj := &lumberjack.Logger{Filename: filepath.Join(dir, "audit.log"), MaxSize: 1, Compress: compress}
	return &apiserverLogWriter{lj: lj, backend: auditlog.NewBackend(lj, auditlog.FormatJson, auditv1.SchemeGroupVersion)}
}

// requestEvents are the two stages of API request i, as kube-apiserver logs
// a Metadata-level update of a ConfigMap by a controller.
func requestEvents(i int) (*auditinternal.Event, *auditinternal.Event, [2]string) {
	id := fmt.Sprintf("%08x-7e1c-4b7a-9d2e-%012x", i, i)
	received := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Microsecond)
	base := auditinternal.Event{
		Level:      auditinternal.LevelMetadata,
		AuditID:    types.UID(id),
		RequestURI: fmt.Sprintf("/api/v1/namespaces/team-%d/configmaps/cm-%d", i%13, i),
		Verb:       "update",
		User: authnv1.UserInfo{
			Username: "system:serviceaccount:kube-system:generic-garbage-collector",
			Groups:   []string{"system:serviceaccounts", "system:authenticated"},
		},
		SourceIPs:                []string{"10.0.0.12"},
		UserAgent:                "kube-controller-manager/v1.37.2 (linux/amd64) kubernetes/5c1ba23",
		ObjectRef:                &auditinternal.ObjectReference{Resource: "configmaps", Namespace: fmt.Sprintf("team-%d", i%13), Name: fmt.Sprintf("cm-%d", i), APIVersion: "v1"},
		RequestReceivedTimestamp: metav1.NewMicroTime(received),
	}
	first, second := base, base
	first.Stage = auditinternal.StageRequestReceived
	first.StageTimestamp = base.RequestReceivedTimestamp
	second.Stage = auditinternal.StageResponseComplete
	second.StageTimestamp = metav1.NewMicroTime(received.Add(2 * time.Millisecond))
	second.ResponseStatus = &metav1.Status{Code: 200}
	second.Annotations = map[string]string{"authorization.k8s.io/decision": "allow"}
	return &first, &second, [2]string{id + "/RequestReceived", id + "/ResponseComplete"}
}

// writeRequests logs requests from..to-1 (two events each), pacing itself
// to about perSecond events, and returns their keys.
func (w *apiserverLogWriter) writeRequests(ctx context.Context, from, to, perSecond int) ([]string, error) {
	keys := make([]string, 0, 2*(to-from))
	const burst = 200
	tick := time.Duration(float64(time.Second) * burst / float64(perSecond))
	next := time.Now()
	for i := from; i < to; i++ {
		a, b, k := requestEvents(i)
		if !w.backend.ProcessEvents(a, b) {
			return keys, errors.New("log backend refused events")
		}
		keys = append(keys, k[0], k[1])
		w.written.Add(2)
		if (i-from)%(burst/2) == burst/2-1 {
			next = next.Add(tick)
			select {
			case <-ctx.Done():
				return keys, ctx.Err()
			case <-time.After(time.Until(next)):
			}
		}
	}
	return keys, nil
}

// waitAll waits until every key arrived.
func waitAll(t *testing.T, sink *keyCounter, want []string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		arrived, _, _ := sink.tally(want)
		if arrived == len(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d (auditID, stage) pairs arrived within %s", arrived, len(want), timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill ends the collector with SIGKILL: no shutdown, no final checkpoint.
func (p *collectorProcess) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Kill())
	<-p.done
}

// waitHealthCheck waits for the health_check extension to answer 200.
func waitHealthCheck(t *testing.T, p *collectorProcess, addr string) {
	t.Helper()
	waitHealthy(t, p, "http://"+addr+"/")
}

// duplicateRanges summarises which requests arrived more than once, as
// ranges of request numbers, to show whether whole files were re-read.
func (k *keyCounter) duplicateRanges() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var idx []int
	for key, n := range k.counts {
		if n > 1 {
			var i int
			if _, err := fmt.Sscanf(key[:8], "%08x", &i); err == nil {
				idx = append(idx, i)
			}
		}
	}
	sort.Ints(idx)
	var out []string
	for j := 0; j < len(idx); {
		s := j
		for j+1 < len(idx) && idx[j+1] <= idx[j]+1 {
			j++
		}
		out = append(out, fmt.Sprintf("%d-%d", idx[s], idx[j]))
		j++
	}
	return strings.Join(out, " ")
}

// duplicated gives the keys that arrived more than once.
func (k *keyCounter) duplicated() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for key, n := range k.counts {
		if n > 1 {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}
