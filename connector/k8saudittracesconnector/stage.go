// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector // import "github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector"

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// stage is an audit stage, in the order kube-apiserver passes them.
type stage uint8

const (
	stageRequestReceived stage = iota
	stageResponseStarted
	stageResponseComplete
	stagePanic
	numStages
)

var stageNames = [numStages]string{
	auditevent.StageRequestReceived,
	auditevent.StageResponseStarted,
	auditevent.StageResponseComplete,
	auditevent.StagePanic,
}

func parseStage(s string) (stage, bool) {
	for i, name := range stageNames {
		if s == name {
			return stage(i), true
		}
	}
	return 0, false
}

func (s stage) bit() uint8 { return 1 << s }

// final stages end a request: its span can be emitted.
func (s stage) final() bool { return s == stageResponseComplete || s == stagePanic }

// reqKey identifies a request by the IDs its span carries; fixed-size, so
// that remembering a request does not keep its audit ID string alive.
type reqKey struct {
	traceID pcommon.TraceID
	spanID  pcommon.SpanID
}

// observation is what one log record says about its request.
type observation struct {
	key             reqKey
	stage           stage
	stageTime       time.Time
	requestReceived time.Time // zero when the body does not say
	// ends is true for the last stage kube-apiserver logs of a request.
	ends bool
}

// readRecord reads a record made by the k8s_audit receiver (directly or
// after the k8s_audit processor). ok is false for any other record: no
// k8s.audit.id (bad-input records, other receivers' records), or no known
// stage or stage time.
func readRecord(lr plog.LogRecord) (o observation, ok bool) {
	attrs := lr.Attributes()
	id := strAttr(attrs, auditevent.AttrAuditID)
	if id == "" {
		return o, false
	}
	o.key.traceID, o.key.spanID = auditevent.RequestIDs(id)

	ev, ok := attributeEvent(lr)
	if !ok {
		ev = bodyEvent(lr.Body())
	}
	name := ev.Stage
	if name == "" {
		name = strAttr(attrs, auditevent.AttrStage)
	}
	if o.stage, ok = parseStage(name); !ok {
		return o, false
	}
	// The record's timestamp is the stage time; it stands in when the body
	// cannot be read.
	o.stageTime = ev.StageTime
	if o.stageTime.IsZero() && lr.Timestamp() != 0 {
		o.stageTime = lr.Timestamp().AsTime()
	}
	if o.stageTime.IsZero() {
		return o, false
	}
	o.requestReceived = ev.RequestReceived
	o.ends = o.stage.final() || rejectedEarly(o.stage, attrs)
	return o, true
}

// rejectedEarly reports a request refused before authorization: failed
// authentication (401) or an invalid request deadline (400). kube-apiserver
// logs it at ResponseStarted only, and never completes it. Any request that
// reached the audited handler chain was authorized, and carries the
// authorization decision.
func rejectedEarly(s stage, attrs pcommon.Map) bool {
	if s != stageResponseStarted || intAttr(attrs, auditevent.AttrHTTPStatusCode) < 400 {
		return false
	}
	_, decided := attrs.Get(auditevent.AttrAuthzDecision)
	return !decided
}

// attributeEvent reads the stage and its timestamps from what the receiver
// set beside the body: the stage, the record's timestamp and
// k8s.audit.request_received_time. ok is false unless all three are there
// (a record of an older receiver, or an event without the request's time),
// and the body is then read instead.
func attributeEvent(lr plog.LogRecord) (t auditevent.StageTimes, ok bool) {
	attrs := lr.Attributes()
	if t.Stage = strAttr(attrs, auditevent.AttrStage); t.Stage == "" || lr.Timestamp() == 0 {
		return t, false
	}
	if t.RequestReceived, ok = auditevent.ParseTime(strAttr(attrs, auditevent.AttrRequestReceivedTime)); !ok {
		return t, false
	}
	t.StageTime = lr.Timestamp().AsTime()
	return t, true
}

// bodyEvent reads the stage and its timestamps from the body: the event as
// a map, or its JSON text (the receiver's body_format: raw), whose request
// and response objects are then skipped, not decoded. Anything else gives
// nothing.
func bodyEvent(body pcommon.Value) auditevent.StageTimes {
	switch body.Type() {
	case pcommon.ValueTypeMap:
		return auditevent.StageTimesOfMap(body.Map())
	case pcommon.ValueTypeStr:
		return auditevent.StageTimesOfText(body.Str())
	}
	return auditevent.StageTimes{}
}

func strAttr(attrs pcommon.Map, key string) string {
	if v, ok := attrs.Get(key); ok && v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}

func intAttr(attrs pcommon.Map, key string) int64 {
	if v, ok := attrs.Get(key); ok {
		switch v.Type() {
		case pcommon.ValueTypeInt:
			return v.Int()
		case pcommon.ValueTypeDouble:
			return int64(v.Double())
		}
	}
	return 0
}
