// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent // import "github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"

import (
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// rebaser moves the strings of an event scanned in a webhook payload's text
// onto its own item's copy of that text, which has the same bytes at the
// same offsets: sliced from the payload's text, one record kept past its
// batch (the others dropped by a policy) would keep the whole payload
// alive. Strings that are not in the item's span of the payload's text
// (unquoted copies, interned words) are left as they are.
type rebaser struct {
	from string // the payload's text
	off  int    // where the item starts in from
	to   string // the item's copy: from[off : off+len(to)]
}

func (r *rebaser) str(s string) string {
	if s == "" || len(s) > len(r.to) {
		return s
	}
	// Only addresses are compared; no memory is read through them.
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	start := uintptr(unsafe.Pointer(unsafe.StringData(r.from))) + uintptr(r.off)
	if p < start || p-start > uintptr(len(r.to)-len(s)) {
		return s
	}
	i := int(p - start)
	return r.to[i : i+len(s)]
}

func (r *rebaser) slice(sl pcommon.Slice) {
	for _, v := range sl.All() {
		if v.Type() == pcommon.ValueTypeStr {
			v.SetStr(r.str(v.Str()))
		}
	}
}

// event rebases every string field a scan sets.
func (r *rebaser) event(ev *Event) {
	for _, p := range [...]*string{
		&ev.APIVersion, &ev.Level, &ev.AuditID, &ev.Stage, &ev.RequestURI, &ev.Verb, &ev.UserAgent,
		&ev.User.Username, &ev.User.UID, &ev.ImpersonatedUser.Username, &ev.ImpersonatedUser.UID,
		&ev.ObjectRef.Namespace, &ev.ObjectRef.Resource, &ev.ObjectRef.Subresource, &ev.ObjectRef.Name,
		&ev.ObjectRef.UID, &ev.ObjectRef.APIGroup, &ev.ObjectRef.APIVersion,
		&ev.ResponseReason, &ev.AuthzDecision, &ev.AuthzReason, &ev.RequestReceivedText,
	} {
		*p = r.str(*p)
	}
	for i, s := range ev.strs {
		ev.strs[i] = r.str(s)
	}
	r.slice(ev.User.Groups)
	r.slice(ev.ImpersonatedUser.Groups)
	r.slice(ev.SourceIPs)
}
