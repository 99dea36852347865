// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector

import (
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// A pending request must not keep the whole text of the event its
// attributes were sliced from (body_format: raw) alive.
func TestOwnDetachesStrings(t *testing.T) {
	text := `{"auditID":"a1","user":{"username":"alice"}}` + strings.Repeat(" ", 1<<20)
	within := func(s string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		base := uintptr(unsafe.Pointer(unsafe.StringData(text)))
		return p >= base && p < base+uintptr(len(text))
	}
	attrs := pcommon.NewMap()
	attrs.PutStr("k8s.audit.id", text[12:14])
	attrs.PutEmptySlice("k8s.audit.user.groups").AppendEmpty().SetStr(text[36:41])
	later := pcommon.NewMap()
	later.PutStr("user.name", text[36:41])
	is := assert.New(t)
	is.True(within(text[12:14]))

	r := request{attrs: attrs}
	r.own()
	r.add(&observation{stage: stageResponseComplete}, later)
	pending := pendingAttrs(&r)
	id, _ := pending.Get("k8s.audit.id")
	group, _ := pending.Get("k8s.audit.user.groups")
	name, _ := pending.Get("user.name")
	for _, s := range []string{id.Str(), group.Slice().At(0).Str(), name.Str()} {
		is.False(within(s), "%q still points into the event's text", s)
	}
	is.Equal("a1", id.Str())
	is.Equal("alice", name.Str())
}

// TestFinalRecordWins: the record that ends a request is borrowed, not
// merged into the pending attributes, and still wins over an earlier
// stage's in the span, which keeps what only the earlier stage had; both
// when the earlier stage was copied aside (it came in an earlier batch) and
// when it is still borrowed (the same batch).
func TestFinalRecordWins(t *testing.T) {
	for _, owned := range []bool{true, false} {
		first := pcommon.NewMap()
		first.PutStr("k8s.audit.stage", "RequestReceived")
		first.PutStr("only.first", "kept")
		first.PutStr("http.response.status_code", "not yet")
		final := pcommon.NewMap()
		final.PutStr("k8s.audit.stage", "ResponseComplete")
		final.PutInt("http.response.status_code", 201)

		r := newRequest(&observation{stage: stageRequestReceived}, first, nil, time.Time{})
		if owned {
			r.own()
		}
		r.add(&observation{stage: stageResponseComplete, ends: true}, final)
		if owned {
			assert.Equal(t, 3, pendingAttrs(&r).Len(), "the final record is not copied into the pending attributes")
		} else {
			assert.Zero(t, len(r.snap.ents), "nothing is copied while the first record is borrowed")
		}

		got := pcommon.NewMap()
		r.spanAttributes(got)
		assert.Equal(t, map[string]any{
			"k8s.audit.stage":           "ResponseComplete",
			"http.response.status_code": int64(201),
			"only.first":                "kept",
		}, got.AsRaw(), "owned %v", owned)
		assert.Equal(t, 2, final.Len(), "the final record's attributes are left as they were")
		assert.Equal(t, 3, first.Len(), "the first record's attributes are left as they were")
	}
}

// pendingAttrs are the attributes a pending request holds, as a map.
func pendingAttrs(r *request) pcommon.Map {
	m := pcommon.NewMap()
	r.snap.writeTo(m, false)
	return m
}
