// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector // import "github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector"

import (
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

	// attrs are the attributes of the record the request was made from,
	// borrowed (for the ConsumeLogs call that made it, at most) until own
	// copies them into snap, which then holds the records' attributes, the
	// latest stage's winning.
	attrs pcommon.Map
	snap  attrSnapshot
	owned bool
	// final, when set, are the attributes of the record that ended the
	// request, borrowed for the emission that follows at once: they win
	// over snap, and are copied into the span without passing through it.
	final    pcommon.Map
	hasFinal bool

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
	r.snap.merge(r.attrs, true)
	r.attrs = pcommon.Map{}
	r.owned = true
}

// has reports whether the stage was already seen.
func (r *request) has(s stage) bool { return r.seen&s.bit() != 0 }

// add merges another stage's record. Stages arrive out of order: a later
// stage's attributes (the response code, the latency) win over an earlier
// one's, and an earlier stage only fills in what is missing. The record
// that ends the request is only borrowed (final): the span is made from it
// at once.
func (r *request) add(o *observation, attrs pcommon.Map) {
	later := o.stage >= r.top
	if later {
		r.top = o.stage
	}
	r.note(o)
	if later && o.ends {
		r.final, r.hasFinal = attrs, true
		return
	}
	r.own()
	r.snap.merge(attrs, later)
}

// spanAttributes fills the span's empty attributes: the final record's,
// then the other stages' where the final record has none.
func (r *request) spanAttributes(dst pcommon.Map) {
	switch {
	case r.hasFinal && !r.owned:
		r.final.CopyTo(dst)
		fillFrom(dst, r.attrs)
	case r.hasFinal:
		r.final.CopyTo(dst)
		r.snap.writeTo(dst, true)
	case r.owned:
		r.snap.writeTo(dst, false)
	default:
		r.attrs.CopyTo(dst)
	}
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
