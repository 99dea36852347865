// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector

import (
	"strings"
	"testing"
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
	id, _ := r.attrs.Get("k8s.audit.id")
	group, _ := r.attrs.Get("k8s.audit.user.groups")
	name, _ := r.attrs.Get("user.name")
	for _, s := range []string{id.Str(), group.Slice().At(0).Str(), name.Str()} {
		is.False(within(s), "%q still points into the event's text", s)
	}
	is.Equal("a1", id.Str())
	is.Equal("alice", name.Str())
}
