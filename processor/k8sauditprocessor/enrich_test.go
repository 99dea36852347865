// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// enrichInputs cover every user kind, impersonation, long-running requests,
// each outcome, and objects named or identified only in their bodies.
var enrichInputs = []string{
	"RequestReceived-create-deployment",
	"ResponseComplete-create-deployment",
	"ResponseComplete-403-alice",
	"ResponseComplete-403-anonymous",
	"ResponseComplete-impersonated",
	"ResponseComplete-lease-update",
	"ResponseComplete-nonresource",
	"ResponseComplete-pod-create-by-controller",
	"ResponseComplete-pods-binding",
	"ResponseComplete-pods-exec",
	"ResponseComplete-pods-log",
	"ResponseComplete-serviceaccount-user",
	"ResponseStarted-401-badtoken",
	"ResponseStarted-watch-pods",
}

func TestEnrichGolden(t *testing.T) {
	var inputs []string
	for _, name := range enrichInputs {
		inputs = append(inputs, example(name))
	}
	cfg := noFeatures()
	cfg.Enrich = createDefaultConfig().(*Config).Enrich
	p := newTestProcessor(t, cfg)
	ld := logsFrom(t, false, inputs...)
	// Trace context is set again when an upstream component cleared it.
	records(ld)[0].SetTraceID(pcommon.NewTraceIDEmpty())
	records(ld)[0].SetSpanID(pcommon.NewSpanIDEmpty())
	records(ld)[1].SetSpanID(pcommon.NewSpanIDEmpty())
	out := process(t, p, ld)
	compareGolden(t, filepath.Join("testdata", "enrich", "expected.yaml"), out)

	for _, lr := range records(out) {
		id, _ := lr.Attributes().Get(auditevent.AttrAuditID)
		wantTrace, wantSpan := auditevent.RequestIDs(id.Str())
		assert.Equal(t, wantTrace, lr.TraceID())
		assert.Equal(t, wantSpan, lr.SpanID())
	}
}

// TestTraceContextKeepsExistingIDs: the receiver's IDs, or IDs a later
// grouping of related requests set, are not overwritten.
func TestTraceContextKeepsExistingIDs(t *testing.T) {
	cfg := noFeatures()
	cfg.Enrich.TraceContext = true
	ld := logsFrom(t, false, example("ResponseComplete-create-deployment"), example("ResponseComplete-create-secret"))
	grouped := pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	records(ld)[0].SetTraceID(grouped)
	out := records(process(t, newTestProcessor(t, cfg), ld))

	id, _ := out[0].Attributes().Get(auditevent.AttrAuditID)
	_, wantSpan := auditevent.RequestIDs(id.Str())
	assert.Equal(t, grouped, out[0].TraceID())
	assert.Equal(t, wantSpan, out[0].SpanID())
	// The receiver set these with the same function.
	id, _ = out[1].Attributes().Get(auditevent.AttrAuditID)
	wantTrace, wantSpan := auditevent.RequestIDs(id.Str())
	assert.Equal(t, wantTrace, out[1].TraceID())
	assert.Equal(t, wantSpan, out[1].SpanID())

	// Off, a record without IDs keeps none.
	cfg.Enrich.TraceContext = false
	ld = logsFrom(t, false, example("ResponseComplete-create-deployment"))
	records(ld)[0].SetTraceID(pcommon.NewTraceIDEmpty())
	records(ld)[0].SetSpanID(pcommon.NewSpanIDEmpty())
	lr := records(process(t, newTestProcessor(t, cfg), ld))[0]
	assert.True(t, lr.TraceID().IsEmpty())
	assert.True(t, lr.SpanID().IsEmpty())
}

func TestEnrichEachPartSwitchesOff(t *testing.T) {
	parts := map[string]func(*EnrichConfig){
		attrLatencyMS:    func(c *EnrichConfig) { c.Latency = false },
		attrUserKind:     func(c *EnrichConfig) { c.UserKind = false },
		attrImpersonated: func(c *EnrichConfig) { c.Impersonation = false },
		attrLongRunning:  func(c *EnrichConfig) { c.LongRunning = false },
		attrOutcome:      func(c *EnrichConfig) { c.Outcome = false },
		"k8s.pod.uid":    func(c *EnrichConfig) { c.Object = false },
	}
	inputs := []string{example("ResponseComplete-impersonated"), example("ResponseStarted-pods-exec"), example("ResponseComplete-pod-create-by-controller")}
	for attr, off := range parts {
		t.Run(attr, func(t *testing.T) {
			cfg := noFeatures()
			cfg.Enrich = createDefaultConfig().(*Config).Enrich
			found := func() bool {
				for _, lr := range records(process(t, newTestProcessor(t, cfg), logsFrom(t, false, inputs...))) {
					if _, ok := lr.Attributes().Get(attr); ok {
						return true
					}
				}
				return false
			}
			require.True(t, found(), "on by default")
			off(&cfg.Enrich)
			assert.False(t, found(), "switched off")
		})
	}
}

func TestClassifyUser(t *testing.T) {
	groups := func(g ...string) pcommon.Slice {
		s := pcommon.NewSlice()
		for _, x := range g {
			s.AppendEmpty().SetStr(x)
		}
		return s
	}
	tests := []struct {
		name   string
		groups pcommon.Slice
		want   userKind
	}{
		{"alice", groups("developers"), userKind{kind: userKindPerson}},
		{"kubernetes-admin", groups("system:masters"), userKind{kind: userKindPerson}},
		{"system:serviceaccount:kube-system:replicaset-controller", groups(), userKind{kind: userKindServiceAccount, saNamespace: "kube-system", saName: "replicaset-controller", isSystemName: true}},
		{"system:serviceaccount:broken", groups(), userKind{kind: userKindSystem, isSystemName: true}},
		{"system:node:worker-1", groups("system:nodes"), userKind{kind: userKindNode, nodeName: "worker-1", isSystemName: true}},
		{"system:kube-controller-manager", groups(), userKind{kind: userKindControlPlane, isSystemName: true}},
		{"system:kube-scheduler", groups(), userKind{kind: userKindControlPlane, isSystemName: true}},
		{"system:apiserver", groups("system:masters"), userKind{kind: userKindControlPlane, isSystemName: true}},
		{"system:anonymous", groups("system:unauthenticated"), userKind{kind: userKindAnonymous, isSystemName: true}},
		{"system:kube-proxy", groups(), userKind{kind: userKindSystem, isSystemName: true}},
		{"", groups(), userKind{}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, classifyUser(tt.name, tt.groups), tt.name)
	}
}

func TestOutcomeAndLatency(t *testing.T) {
	cfg := noFeatures()
	cfg.Enrich = createDefaultConfig().(*Config).Enrich
	p := newTestProcessor(t, cfg)
	get := func(name, attr string) any {
		out := process(t, p, logsFrom(t, false, example(name)))
		v, ok := records(out)[0].Attributes().Get(attr)
		if !ok {
			return nil
		}
		return v.AsRaw()
	}
	assert.Equal(t, outcomeSuccess, get("ResponseComplete-create-deployment", attrOutcome))
	assert.Equal(t, outcomeFailure, get("ResponseComplete-403-alice", attrOutcome))
	assert.Equal(t, outcomeFailure, get("ResponseComplete-pods-log", attrOutcome))
	assert.Equal(t, outcomeFailure, get("ResponseStarted-401-badtoken", attrOutcome))
	assert.Equal(t, outcomeSuccess, get("ResponseStarted-pods-exec", attrOutcome))
	assert.Nil(t, get("RequestReceived-create-deployment", attrOutcome))
	assert.Nil(t, get("RequestReceived-create-deployment", attrLatencyMS))
	// 13:30:05.299680 -> 13:30:05.306933
	assert.InDelta(t, 7.253, get("ResponseComplete-create-secret", attrLatencyMS), 1e-9)
	assert.Equal(t, true, get("ResponseStarted-watch-pods", attrLongRunning))
	assert.Equal(t, true, get("ResponseStarted-pods-exec", attrLongRunning))
	assert.Nil(t, get("ResponseComplete-pods-log", attrLongRunning))
	assert.Equal(t, userKindPerson, get("ResponseComplete-impersonated", attrImpersonatedUserKind))
}
