// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector // import "github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector"

import (
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// resourceRef is a resource of the input logs, copied once per batch and
// shared by the requests whose records came under it.
type resourceRef struct {
	resource  pcommon.Resource
	schemaURL string
}

// request is what is known of one API request: the stages seen so far and
// the attributes of its records.
type request struct {
	key     reqKey
	res     *resourceRef
	arrived time.Time // when its first record arrived; it expires from then

	start time.Time // requestReceivedTimestamp, zero until a record says
	times [numStages]time.Time
	seen  uint8 // stage bits
	top   stage // the latest stage seen

	// attrs are the records' attributes, the latest stage's winning. owned
	// is false when attrs are a record's own (a request emitted at once),
	// which must then be copied, not moved.
	attrs pcommon.Map
	owned bool

	// prev and next link the pending requests, oldest first.
	prev, next *request
}

// newRequest starts a request from its first record, borrowing the
// record's attributes.
func newRequest(o *observation, attrs pcommon.Map, res *resourceRef, now time.Time) request {
	r := request{key: o.key, res: res, arrived: now, attrs: attrs, top: o.stage}
	r.note(o)
	return r
}

// own copies borrowed attributes, before the request outlives its batch.
func (r *request) own() {
	if r.owned {
		return
	}
	m := pcommon.NewMap()
	r.attrs.CopyTo(m)
	detach(m)
	r.attrs = m
	r.owned = true
}

// detach gives the strings of attributes kept past their batch their own
// memory: a receiver may slice them from the event's whole text (the
// k8s_audit receiver does with body_format: raw), which a pending request
// would otherwise keep alive for its lifetime.
func detach(m pcommon.Map) {
	for _, v := range m.All() {
		detachValue(v)
	}
}

func detachValue(v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		v.SetStr(strings.Clone(v.Str()))
	case pcommon.ValueTypeSlice:
		for _, e := range v.Slice().All() {
			detachValue(e)
		}
	case pcommon.ValueTypeMap:
		detach(v.Map())
	}
}

// has reports whether the stage was already seen.
func (r *request) has(s stage) bool { return r.seen&s.bit() != 0 }

// add merges another stage's record. Stages arrive out of order: a later
// stage's attributes (the response code, the latency) win over an earlier
// one's, and an earlier stage only fills in what is missing.
func (r *request) add(o *observation, attrs pcommon.Map) {
	r.own()
	later := o.stage >= r.top
	attrs.Range(func(k string, v pcommon.Value) bool {
		if later {
			dst := r.attrs.PutEmpty(k)
			v.CopyTo(dst)
			detachValue(dst)
		} else if _, ok := r.attrs.Get(k); !ok {
			dst := r.attrs.PutEmpty(k)
			v.CopyTo(dst)
			detachValue(dst)
		}
		return true
	})
	if later {
		r.top = o.stage
	}
	r.note(o)
}

func (r *request) note(o *observation) {
	r.seen |= o.stage.bit()
	r.times[o.stage] = o.stageTime
	if r.start.IsZero() {
		r.start = o.requestReceived
	}
}

// bounds are the span's start and end: from requestReceivedTimestamp (or
// the earliest stage) to the final stage (or the latest stage seen).
func (r *request) bounds() (start, end time.Time) {
	for s := range numStages {
		if !r.has(s) {
			continue
		}
		t := r.times[s]
		if start.IsZero() || t.Before(start) {
			start = t
		}
		if t.After(end) {
			end = t
		}
	}
	if !r.start.IsZero() {
		start = r.start
	}
	if end.Before(start) {
		end = start
	}
	return start, end
}
