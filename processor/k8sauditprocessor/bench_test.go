// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// benchInputs is a realistic mix: a RequestResponse deployment create, a
// Secret create, a metadata-only event and a forbidden list.
var benchInputs = []string{
	"ResponseComplete-create-deployment",
	"ResponseComplete-create-secret",
	"ResponseComplete-lease-update",
	"ResponseComplete-403-alice",
}

// benchProcess reports time, bytes and allocations per record for one
// configuration (the standard ns/op, B/op and allocs/op are per batch of
// len(benchInputs) records). Each iteration processes a fresh copy of the
// batch, made with the timer stopped; prepare, if set, may change the copy
// (e.g. the audit IDs).
func benchProcess(b *testing.B, cfg *Config, rawBody bool, prepare func(plog.Logs, int)) {
	var paths []string
	for _, name := range benchInputs {
		paths = append(paths, example(name))
	}
	benchProcessInputs(b, cfg, rawBody, paths, prepare)
}

// benchProcessInputs is benchProcess over other inputs (paths or event
// texts, as logsFrom takes them).
func benchProcessInputs(b *testing.B, cfg *Config, rawBody bool, paths []string, prepare func(plog.Logs, int)) {
	in := logsFrom(b, rawBody, paths...)
	p := newTestProcessor(b, cfg)
	perBatch := in.LogRecordCount()
	var mallocs, bytes uint64
	var ms runtime.MemStats
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		batch := plog.NewLogs()
		in.CopyTo(batch)
		if prepare != nil {
			prepare(batch, i)
		}
		runtime.ReadMemStats(&ms)
		before, beforeBytes := ms.Mallocs, ms.TotalAlloc
		b.StartTimer()
		if _, err := p.processLogs(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.ReadMemStats(&ms)
		mallocs += ms.Mallocs - before
		bytes += ms.TotalAlloc - beforeBytes
		b.StartTimer()
	}
	b.StopTimer()
	n := float64(b.N * perBatch)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/record")
	b.ReportMetric(float64(bytes)/n, "B/record")
	b.ReportMetric(float64(mallocs)/n, "allocs/record")
}

func BenchmarkPassThrough(b *testing.B) { benchProcess(b, noFeatures(), false, nil) }

func BenchmarkEnrich(b *testing.B) {
	cfg := noFeatures()
	cfg.Enrich = createDefaultConfig().(*Config).Enrich
	benchProcess(b, cfg, false, nil)
}

func BenchmarkRedactDefault(b *testing.B) {
	cfg := noFeatures()
	cfg.Redaction = createDefaultConfig().(*Config).Redaction
	benchProcess(b, cfg, false, nil)
}

func BenchmarkRedactDefaultRawBody(b *testing.B) {
	cfg := noFeatures()
	cfg.Redaction = createDefaultConfig().(*Config).Redaction
	benchProcess(b, cfg, true, nil)
}

// BenchmarkDefaultsRawMetadata is the default configuration over raw
// Metadata-level events, the bulk of a real log: the raw fast path.
func BenchmarkDefaultsRawMetadata(b *testing.B) {
	requestReceived := strings.NewReplacer(`"stage":"ResponseComplete"`, `"stage":"RequestReceived"`,
		`"responseStatus":{"metadata":{},"code":200},`, ``).Replace(plainMetadataEvent)
	forbidden := strings.NewReplacer(`"allow"`, `"forbid"`, `"code":200`, `"code":403`).Replace(plainMetadataEvent)
	controller := strings.Replace(plainMetadataEvent, `"username":"alice"`, `"username":"system:serviceaccount:kube-system:deployment-controller"`, 1)
	benchProcessInputs(b, createDefaultConfig().(*Config), true,
		[]string{requestReceived, plainMetadataEvent, forbidden, controller}, nil)
}

func BenchmarkRedactPseudonymize(b *testing.B) {
	cfg := noFeatures()
	cfg.Redaction.Pseudonymize = pseudonymizeAll()
	benchProcess(b, cfg, false, nil)
}

func BenchmarkPolicyGCE(b *testing.B) {
	cfg := noFeatures()
	cfg.Policy = filepath.Join("testdata", "policy", "gce.yaml")
	benchProcess(b, cfg, false, nil)
}

func BenchmarkDedup(b *testing.B) {
	cfg := noFeatures()
	cfg.Dedup = configoptional.Some(DedupConfig{Window: time.Minute, MaxEntries: 100_000})
	benchProcess(b, cfg, false, uniqueAuditIDs)
}

// uniqueAuditIDs makes every record new to dedup, so that its cache fills
// to its bound and evicts.
func uniqueAuditIDs(ld plog.Logs, i int) {
	for j, lr := range records(ld) {
		id := fmt.Sprintf("%08d-%d", i, j)
		lr.Attributes().PutStr(auditevent.AttrAuditID, id)
		lr.Body().Map().PutStr("auditID", id)
	}
}

// BenchmarkAll has every feature on: enrichment, default redaction,
// pseudonyms, user paths, the GCE policy and dedup.
func BenchmarkAll(b *testing.B) {
	cfg := everything()
	cfg.Dedup = configoptional.Some(DedupConfig{Window: time.Minute, MaxEntries: 100_000})
	benchProcess(b, cfg, false, uniqueAuditIDs)
}

func BenchmarkAllRawBody(b *testing.B) {
	cfg := everything()
	cfg.Dedup = configoptional.Some(DedupConfig{Window: time.Minute, MaxEntries: 100_000})
	benchProcess(b, cfg, true, func(ld plog.Logs, i int) {
		for j, lr := range records(ld) {
			id := fmt.Sprintf("%08d-%d", i, j)
			lr.Attributes().PutStr(auditevent.AttrAuditID, id)
			lr.Body().SetStr(strings.Replace(lr.Body().Str(), `"auditID"`, `"auditID":"`+id+`","x"`, 1))
		}
	})
}

func BenchmarkAllDefaultsPlusPolicy(b *testing.B) {
	cfg := createDefaultConfig().(*Config)
	cfg.Policy = filepath.Join("testdata", "policy", "gce.yaml")
	benchProcess(b, cfg, false, nil)
}

// BenchmarkMayHoldToken is the cheap test every string of a body and its
// attributes passes: short attribute-like values, and whole event texts
// (what the raw fast path tests).
func BenchmarkMayHoldToken(b *testing.B) {
	short := []string{"system:serviceaccount:kube-system:replicaset-controller", "leases", "10.0.3.51",
		"kube-controller-manager/v1.37.2 (linux/amd64) kubernetes/9c1a3e2/system:serviceaccount:kube-system:replicaset-controller",
		"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/ip-10-0-3-31.ec2.internal", "allow", "v1",
		`RBAC: allowed by ClusterRoleBinding "system:kube-controller-manager" of ClusterRole "system:kube-controller-manager" to User "system:kube-controller-manager"`}
	var texts []string
	for _, name := range benchInputs {
		raw, err := os.ReadFile(example(name))
		if err != nil {
			b.Fatal(err)
		}
		texts = append(texts, string(raw))
	}
	for name, in := range map[string][]string{"values": short, "event-texts": texts} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				for _, s := range in {
					if mayHoldToken(s) {
						b.Fatalf("%q holds no token", s)
					}
				}
			}
		})
	}
}
