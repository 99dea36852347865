// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

func TestSpanName(t *testing.T) {
	tests := []struct {
		attrs map[string]any
		want  string
	}{
		{map[string]any{"k8s.audit.verb": "create", "k8s.audit.resource": "deployments", "k8s.audit.api_group": "apps", "k8s.audit.api_version": "v1"}, "create apps/v1 deployments"},
		{map[string]any{"k8s.audit.verb": "get", "k8s.audit.resource": "pods", "k8s.audit.subresource": "log", "k8s.audit.api_version": "v1", "k8s.audit.object.name": "web-0"}, "get v1 pods/log"},
		{map[string]any{"k8s.audit.verb": "list", "k8s.audit.resource": "widgets", "k8s.audit.api_group": "example.com"}, "list example.com widgets"},
		{map[string]any{"k8s.audit.verb": "list", "k8s.audit.resource": "widgets"}, "list widgets"},
		{map[string]any{"k8s.audit.verb": "get", "url.path": "/healthz"}, "get /healthz"},
		{map[string]any{"k8s.audit.verb": "get", "url.path": "/.env", "http.response.status_code": 404}, "get"},
		{map[string]any{"k8s.audit.verb": "get", "url.path": "/api/v1/secrets", "http.response.status_code": 401}, "get"},
		{map[string]any{"k8s.audit.verb": "get"}, "get"},
		{map[string]any{}, "unknown"},
		{map[string]any{"k8s.audit.verb": 3, "k8s.audit.resource": []any{"x"}}, "unknown"},
	}
	for _, tt := range tests {
		m := pcommon.NewMap()
		require.NoError(t, m.FromRaw(tt.attrs))
		assert.Equal(t, tt.want, spanName(m), "%v", tt.attrs)
	}
}

func TestBounds(t *testing.T) {
	at := func(ms int) time.Time { return eventEpoch.Add(time.Duration(ms) * time.Millisecond) }
	obs := func(s stage, rr, st int) *observation {
		o := &observation{stage: s, stageTime: at(st)}
		if rr >= 0 {
			o.requestReceived = at(rr)
		}
		return o
	}
	t.Run("requestReceivedTimestamp to the last stage", func(t *testing.T) {
		r := newRequest(obs(stageResponseStarted, 0, 5), pcommon.NewMap(), nil, time.Now())
		r.add(obs(stageResponseComplete, 0, 90), pcommon.NewMap())
		start, end := r.bounds()
		assert.Equal(t, at(0), start)
		assert.Equal(t, at(90), end)
	})
	t.Run("without requestReceivedTimestamp, the earliest stage", func(t *testing.T) {
		r := newRequest(obs(stageResponseComplete, -1, 40), pcommon.NewMap(), nil, time.Now())
		r.add(obs(stageRequestReceived, -1, 10), pcommon.NewMap())
		start, end := r.bounds()
		assert.Equal(t, at(10), start)
		assert.Equal(t, at(40), end)
	})
	t.Run("never ends before it starts", func(t *testing.T) {
		r := newRequest(obs(stageResponseComplete, 50, 40), pcommon.NewMap(), nil, time.Now())
		start, end := r.bounds()
		assert.Equal(t, at(50), start)
		assert.Equal(t, start, end)
	})
}

// TestLaterStageWins: an earlier stage arriving after a later one fills in
// what is missing and overwrites nothing.
func TestLaterStageWins(t *testing.T) {
	started := pcommon.NewMap()
	started.PutStr(auditevent.AttrStage, auditevent.StageResponseStarted)
	started.PutInt(auditevent.AttrHTTPStatusCode, 200)
	received := pcommon.NewMap()
	received.PutStr(auditevent.AttrStage, auditevent.StageRequestReceived)
	received.PutStr("only.in.received", "x")

	r := newRequest(&observation{stage: stageResponseStarted, stageTime: eventEpoch}, started, nil, time.Now())
	r.own()
	r.add(&observation{stage: stageRequestReceived, stageTime: eventEpoch}, received)
	assert.Equal(t, map[string]any{
		auditevent.AttrStage:          auditevent.StageResponseStarted,
		auditevent.AttrHTTPStatusCode: int64(200),
		"only.in.received":            "x",
	}, pendingAttrs(&r).AsRaw())
	assert.Equal(t, stageResponseStarted, r.top)
	assert.Equal(t, auditevent.StageResponseStarted, strAttr(started, auditevent.AttrStage), "the record is not changed")

	complete := pcommon.NewMap()
	complete.PutStr(auditevent.AttrStage, auditevent.StageResponseComplete)
	complete.PutInt(auditevent.AttrHTTPStatusCode, 500)
	r.add(&observation{stage: stageResponseComplete, stageTime: eventEpoch}, complete)
	pending := pendingAttrs(&r)
	assert.Equal(t, auditevent.StageResponseComplete, strAttr(pending, auditevent.AttrStage))
	assert.Equal(t, int64(500), intAttr(pending, auditevent.AttrHTTPStatusCode))
}

func TestStatus(t *testing.T) {
	tests := []struct {
		stage stage
		code  int64
		want  ptrace.StatusCode
	}{
		{stageResponseComplete, 200, ptrace.StatusCodeUnset},
		{stageResponseComplete, 404, ptrace.StatusCodeUnset},
		{stageResponseComplete, 499, ptrace.StatusCodeUnset},
		{stageResponseComplete, 500, ptrace.StatusCodeError},
		{stageResponseComplete, 599, ptrace.StatusCodeError},
		{stageResponseComplete, 0, ptrace.StatusCodeUnset},
		{stagePanic, 200, ptrace.StatusCodeError},
		{stagePanic, 0, ptrace.StatusCodeError},
	}
	for _, tt := range tests {
		attrs := pcommon.NewMap()
		if tt.code != 0 {
			attrs.PutInt(auditevent.AttrHTTPStatusCode, tt.code)
		}
		r := newRequest(&observation{stage: tt.stage, stageTime: eventEpoch}, attrs, nil, time.Now())
		span := ptrace.NewSpan()
		setSpan(span, &r, "")
		assert.Equal(t, tt.want, span.Status().Code(), "%v %d", stageNames[tt.stage], tt.code)
		assert.Equal(t, ptrace.SpanKindServer, span.Kind())
		_, incomplete := span.Attributes().Get(attrIncomplete)
		assert.False(t, incomplete)
	}
}

func TestRejectedEarlyEndsAtResponseStarted(t *testing.T) {
	attrs := func(code int64, decided bool) pcommon.Map {
		m := pcommon.NewMap()
		m.PutInt(auditevent.AttrHTTPStatusCode, code)
		if decided {
			m.PutStr(auditevent.AttrAuthzDecision, "forbid")
		}
		return m
	}
	assert.True(t, rejectedEarly(stageResponseStarted, attrs(401, false)), "failed authentication")
	assert.True(t, rejectedEarly(stageResponseStarted, attrs(400, false)), "invalid request deadline")
	assert.False(t, rejectedEarly(stageResponseStarted, attrs(403, true)), "a forbidden watch is completed later")
	assert.False(t, rejectedEarly(stageResponseStarted, attrs(200, false)), "a watch")
	assert.False(t, rejectedEarly(stageRequestReceived, attrs(401, false)))
}
