// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector

import (
	"math"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// refMerge is what attrSnapshot.merge does, on a pcommon.Map: a later
// stage's values replace, an earlier one's only fill in.
func refMerge(dst, m pcommon.Map, later bool) {
	for k, v := range m.All() {
		if _, ok := dst.Get(k); ok && !later {
			continue
		}
		v.CopyTo(dst.PutEmpty(k))
	}
}

// ordered is a map's attributes in their order, for comparing order too.
func ordered(m pcommon.Map) [][2]any {
	var out [][2]any
	for k, v := range m.All() {
		out = append(out, [2]any{k, v.AsRaw()})
	}
	return out
}

func mapOf(t *testing.T, build func(m pcommon.Map)) pcommon.Map {
	t.Helper()
	m := pcommon.NewMap()
	build(m)
	return m
}

// TestSnapshotMatchesMap: a snapshot merged stage after stage holds what a
// pcommon.Map merged the same way holds, in the same order, for every
// kind of value.
func TestSnapshotMatchesMap(t *testing.T) {
	first := mapOf(t, func(m pcommon.Map) {
		m.PutStr("k8s.audit.stage", "RequestReceived")
		m.PutStr("user.name", "alice")
		m.PutStr("", "empty key")
		m.PutStr("empty.value", "")
		m.PutInt("neg", -42)
		m.PutDouble("ratio", 0.25)
		m.PutBool("yes", true)
		m.PutBool("no", false)
		m.PutEmpty("nothing")
		groups := m.PutEmptySlice("k8s.audit.user.groups")
		groups.AppendEmpty().SetStr("system:masters")
		groups.AppendEmpty().SetStr("système:authentifié")
		m.PutEmptySlice("empty.list")
		mixed := m.PutEmptySlice("mixed.list")
		mixed.AppendEmpty().SetStr("a")
		mixed.AppendEmpty().SetInt(1)
		nested := m.PutEmptyMap("nested")
		nested.PutStr("inner", "v")
		nested.PutEmptySlice("list").AppendEmpty().SetStr("x")
		m.PutEmptyBytes("bytes").FromRaw([]byte{0, 1, 2})
	})
	second := mapOf(t, func(m pcommon.Map) {
		m.PutStr("k8s.audit.stage", "ResponseStarted")
		m.PutInt("http.response.status_code", 200)
		m.PutStr("user.name", "bob")
		m.PutDouble("ratio", math.Inf(1))
		g := m.PutEmptySlice("k8s.audit.user.groups")
		g.AppendEmpty().SetStr("other")
		m.PutEmptyMap("nested").PutStr("inner", "w")
		m.PutStr("only.second", "2")
	})
	third := mapOf(t, func(m pcommon.Map) {
		m.PutStr("k8s.audit.stage", "RequestReceived")
		m.PutStr("only.third", "3")
		m.PutInt("http.response.status_code", 0)
		m.PutEmptySlice("empty.list").AppendEmpty().SetStr("now one")
	})

	for _, steps := range [][]struct {
		m     pcommon.Map
		later bool
	}{
		{{first, true}, {second, true}, {third, false}},
		{{second, true}, {first, false}, {third, true}},
		{{third, true}, {first, true}, {second, false}, {first, true}},
	} {
		var snap attrSnapshot
		ref := pcommon.NewMap()
		for i, step := range steps {
			snap.merge(step.m, step.later)
			refMerge(ref, step.m, step.later)
			got := pcommon.NewMap()
			snap.writeTo(got, false)
			require.Equal(t, ordered(ref), ordered(got), "after step %d", i)
		}

		// fill keeps what dst has and adds the rest after it.
		dst := mapOf(t, func(m pcommon.Map) {
			m.PutStr("user.name", "final")
			m.PutStr("k8s.audit.stage", "ResponseComplete")
		})
		want := pcommon.NewMap()
		dst.CopyTo(want)
		for k, v := range ref.All() {
			if _, ok := want.Get(k); !ok {
				v.CopyTo(want.PutEmpty(k))
			}
		}
		snap.writeTo(dst, true)
		assert.Equal(t, ordered(want), ordered(dst))
	}
}

// A pending request must not keep the whole text of the event its
// attributes were sliced from alive, through any kind of value.
func TestSnapshotDetachesStrings(t *testing.T) {
	text := `{"auditID":"a1","user":{"username":"alice"}}` + strings.Repeat(" ", 1<<20)
	base := uintptr(unsafe.Pointer(unsafe.StringData(text)))
	within := func(s string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		return p >= base && p < base+uintptr(len(text))
	}
	m := pcommon.NewMap()
	m.PutStr(text[2:9], text[12:14])
	m.PutEmptySlice("list").AppendEmpty().SetStr(text[36:41])
	nested := m.PutEmptyMap("nested")
	nested.PutStr(text[25:33], text[36:41])
	mixed := m.PutEmptySlice("mixed")
	mixed.AppendEmpty().SetStr(text[36:41])
	mixed.AppendEmpty().SetInt(1)

	var snap attrSnapshot
	snap.merge(m, true)
	clear(unsafe.Slice(unsafe.StringData(text), 48)) // nothing may still read it
	got := pcommon.NewMap()
	snap.writeTo(got, false)

	var strs []string
	var walk func(k string, v pcommon.Value)
	walk = func(k string, v pcommon.Value) {
		strs = append(strs, k)
		switch v.Type() {
		case pcommon.ValueTypeStr:
			strs = append(strs, v.Str())
		case pcommon.ValueTypeSlice:
			for _, item := range v.Slice().All() {
				walk("", item)
			}
		case pcommon.ValueTypeMap:
			for k, item := range v.Map().All() {
				walk(k, item)
			}
		}
	}
	for k, v := range got.All() {
		walk(k, v)
	}
	for _, s := range strs {
		assert.False(t, within(s), "%q still points into the event's text", s)
	}
	assert.Equal(t, map[string]any{
		"auditID": "a1",
		"list":    []any{"alice"},
		"nested":  map[string]any{"username": "alice"},
		"mixed":   []any{"alice", int64(1)},
	}, got.AsRaw())
}

// A waiting request holds some 27 entries: their size is most of its
// memory after the text.
func TestSnapEntryIs24Bytes(t *testing.T) {
	assert.Equal(t, uintptr(24), unsafe.Sizeof(snapEntry{}))
}

// The receiver's keys are not copied into a snapshot's text, in whatever
// order they come; other keys are.
func TestSnapshotSharesKnownKeys(t *testing.T) {
	m := pcommon.NewMap()
	values := 0
	for i := len(sharedKeys) - 1; i >= 0; i -= 2 { // backwards, every other one
		m.PutStr(sharedKeys[i], "v"+sharedKeys[i])
		values += 1 + len(sharedKeys[i])
	}
	m.PutStr("k8s.pod.name", "web-0") // the processor's object enrichment: not shared
	values += len("web-0")

	var snap attrSnapshot
	snap.merge(m, true)
	assert.Len(t, snap.text, values+len("k8s.pod.name"))
	got := pcommon.NewMap()
	snap.writeTo(got, false)
	assert.Equal(t, ordered(m), ordered(got))
	assert.True(t, snap.has(sharedKeys[len(sharedKeys)-1]))
	assert.False(t, snap.has(sharedKeys[len(sharedKeys)-2]))
}
