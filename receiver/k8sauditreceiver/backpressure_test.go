// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver

import (
	"context"
	"go.uber.org/zap/zaptest"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/processor/processortest"
	"k8s.io/apimachinery/pkg/util/wait"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	"k8s.io/apiserver/plugin/pkg/audit/buffered"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// kube-apiserver's webhook backend in batch mode (its default) sends to a
// collector whose memory_limiter refuses for a while: the receiver answers
// 503 with Retry-After at once, the backend re-sends, and once the pressure
// ends every event has arrived, once. Nothing is acknowledged that the
// pipeline did not take: the sink is the only place records can go.
func TestWebhookBackPressureFromMemoryLimiter(t *testing.T) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseMiB := uint32(ms.Alloc >> 20)

	mlFactory := memorylimiterprocessor.NewFactory()
	mlCfg := mlFactory.CreateDefaultConfig().(*memorylimiterprocessor.Config)
	mlCfg.CheckInterval = 20 * time.Millisecond
	mlCfg.MemoryLimitMiB = baseMiB + 96
	mlCfg.MemorySpikeLimitMiB = 32
	sink := new(consumertest.LogsSink)
	mlSet := processortest.NewNopSettings(mlFactory.Type())
	if os.Getenv("K8SAUDIT_TEST_DEBUG") != "" {
		mlSet.Logger = zaptest.NewLogger(t)
	}
	limiter, err := mlFactory.CreateLogs(context.Background(), mlSet, mlCfg, sink)
	require.NoError(t, err)
	require.NoError(t, limiter.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, limiter.Shutdown(context.Background())) }()

	answers := &answerCounter{next: limiter}
	pki := newTestPKI(t)
	r := startReceiver(t, withMTLS(webhookConfig(), pki), componenttest.NewNopHost(), nil, nil, withConsumer(answers))
	defer func() { require.NoError(t, r.Shutdown(context.Background())) }()
	url := webhookURL(r, "https") + defaultPath

	// Pressure: more live heap than the limiter's soft limit.
	for i := 0; i < 192; i++ {
		ballast = append(ballast, make([]byte, 1<<20))
	}
	require.Eventually(t, func() bool { return limiterRefuses(t, url, pki) }, 10*time.Second, 20*time.Millisecond,
		"the memory limiter never started refusing")
	// Probes sent before the limiter's first check went through; start counting now.
	sink.Reset()
	answers.acceptedRecords.Store(0)

	// Answered fast: a refusal must not hold kube-apiserver's sender.
	client := mtlsClient(t, pki, pki.clientCert, pki.clientKey)
	start := time.Now()
	resp, err := client.Post(url, "application/json", strings.NewReader(eventList("audit.k8s.io/v1", `{"auditID":"probe","stage":"ResponseComplete","stageTimestamp":"2026-11-22T13:29:04Z"}`)))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, retryAfterSeconds, resp.Header.Get("Retry-After"))
	assert.Less(t, time.Since(start), time.Second)

	backend := batchModeWebhook(t, url, pki)
	stop := make(chan struct{})
	require.NoError(t, backend.Run(stop))
	const total = 2000
	var want []recordKey
	for i := 0; i < total; i++ {
		ev := testEvent(i, auditinternal.StageResponseComplete, 0)
		backend.ProcessEvents(ev)
		want = append(want, recordKey{testAuditID(i), auditevent.StageResponseComplete})
	}

	// Let the backend meet the refusals for a while, then end the pressure.
	require.Eventually(t, func() bool { return answers.refused.Load() >= 3 }, 10*time.Second, 10*time.Millisecond)
	assert.Zero(t, sink.LogRecordCount(), "nothing gets through while the limiter refuses")
	ballast = nil
	runtime.GC()

	require.Eventually(t, func() bool { return sink.LogRecordCount() >= total }, 20*time.Second, 20*time.Millisecond,
		"%d of %d events arrived after the pressure ended", sink.LogRecordCount(), total)
	close(stop)
	backend.Shutdown()
	assertEachOnce(t, sink, want)
	assert.EqualValues(t, total, answers.acceptedRecords.Load(), "records acknowledged = records accepted")
	t.Logf("refused batches: %d, accepted batches: %d", answers.refused.Load(), answers.accepted.Load())
}

// ballast is the live heap that puts the memory limiter over its limit. A
// package variable, so that the compiler cannot free it early.
var ballast [][]byte

// answerCounter sits between the receiver and the pipeline and counts what
// the pipeline answered.
type answerCounter struct {
	next              consumer.Logs
	refused, accepted atomic.Int64
	acceptedRecords   atomic.Int64
}

func (a *answerCounter) Capabilities() consumer.Capabilities { return a.next.Capabilities() }

func (a *answerCounter) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	n := ld.LogRecordCount()
	if err := a.next.ConsumeLogs(ctx, ld); err != nil {
		a.refused.Add(1)
		return err
	}
	a.accepted.Add(1)
	a.acceptedRecords.Add(int64(n))
	return nil
}

func limiterRefuses(t *testing.T, url string, pki testPKI) bool {
	client := mtlsClient(t, pki, pki.clientCert, pki.clientKey)
	resp, err := client.Post(url, "application/json", strings.NewReader(eventList("audit.k8s.io/v1")+" "))
	if err != nil {
		return false
	}
	resp.Body.Close()
	// An empty list never reaches the pipeline; ask with one event instead.
	resp, err = client.Post(url, "application/json", strings.NewReader(eventList("audit.k8s.io/v1", `{"auditID":"probe-0","stage":"RequestReceived","stageTimestamp":"2026-11-22T13:29:04Z"}`)))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusServiceUnavailable
}

// batchModeWebhook is --audit-webhook-mode=batch: the buffered backend in
// front of the webhook backend, with kube-apiserver's default batch sizes and
// a backoff scaled down from 10 s to 100 ms.
func batchModeWebhook(t *testing.T, url string, pki testPKI) interface {
	Run(<-chan struct{}) error
	ProcessEvents(...*auditinternal.Event) bool
	Shutdown()
} {
	t.Helper()
	delegate := apiserverWebhookBackoff(t, url, pki, pki.clientCert, pki.clientKey,
		wait.Backoff{Duration: 100 * time.Millisecond, Factor: 1.5, Jitter: 0.2, Steps: 5})
	return buffered.NewBackend(delegate, buffered.BatchConfig{
		BufferSize:    10000,
		MaxBatchSize:  400,
		MaxBatchWait:  50 * time.Millisecond,
		AsyncDelegate: true,
	})
}
