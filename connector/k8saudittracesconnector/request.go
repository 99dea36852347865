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
	// final, when set, are the attributes of the record that ended the
	// request, borrowed for the emission that follows at once: they win
	// over attrs, and are copied into the span without passing through
	// attrs.
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
	m := pcommon.NewMap()
	copyDetached(r.attrs, m)
	r.attrs = m
	r.owned = true
}

// copyDetached copies src into the empty dst with the strings in memory of
// their own, one allocation for all: a receiver may slice them from the
// event's whole text (the k8s_audit receiver does), which a pending request
// would otherwise keep alive for its lifetime.
func copyDetached(src, dst pcommon.Map) {
	var b strings.Builder
	b.Grow(stringBytes(src))
	copyMap(src, dst, &b)
}

func stringBytes(m pcommon.Map) int {
	n := 0
	for _, v := range m.All() {
		n += valueStringBytes(v)
	}
	return n
}

func valueStringBytes(v pcommon.Value) int {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return len(v.Str())
	case pcommon.ValueTypeSlice:
		n := 0
		for _, e := range v.Slice().All() {
			n += valueStringBytes(e)
		}
		return n
	case pcommon.ValueTypeMap:
		return stringBytes(v.Map())
	}
	return 0
}

// detached returns a copy of s in b's memory. b never grows past what it
// was given, so the strings it returned stay valid.
func detached(s string, b *strings.Builder) string {
	start := b.Len()
	b.WriteString(s)
	return b.String()[start:]
}

func copyMap(src, dst pcommon.Map, b *strings.Builder) {
	dst.EnsureCapacity(src.Len())
	for k, v := range src.All() {
		copyValue(v, dst.PutEmpty(k), b)
	}
}

func copyValue(v, dst pcommon.Value, b *strings.Builder) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		dst.SetStr(detached(v.Str(), b))
	case pcommon.ValueTypeSlice:
		src, out := v.Slice(), dst.SetEmptySlice()
		out.EnsureCapacity(src.Len())
		for _, e := range src.All() {
			copyValue(e, out.AppendEmpty(), b)
		}
	case pcommon.ValueTypeMap:
		copyMap(v.Map(), dst.SetEmptyMap(), b)
	default:
		v.CopyTo(dst)
	}
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
	var b strings.Builder
	b.Grow(stringBytes(attrs))
	for k, v := range attrs.All() {
		if _, ok := r.attrs.Get(k); ok && !later {
			continue
		}
		copyValue(v, r.attrs.PutEmpty(k), &b)
	}
}

// spanAttributes fills the span's empty attributes: the final record's,
// then the other stages' where the final record has none. Owned attributes
// are moved: the request is not used afterwards.
func (r *request) spanAttributes(dst pcommon.Map) {
	if !r.hasFinal {
		if r.owned {
			r.attrs.MoveTo(dst)
		} else {
			r.attrs.CopyTo(dst)
		}
		return
	}
	r.final.CopyTo(dst)
	for k, v := range r.attrs.All() {
		if _, ok := dst.Get(k); ok {
			continue
		}
		if r.owned {
			v.MoveTo(dst.PutEmpty(k))
		} else {
			v.CopyTo(dst.PutEmpty(k))
		}
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
