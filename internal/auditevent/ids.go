// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent // import "github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"

import (
	"crypto/sha256"
	"encoding/hex"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// RequestIDs returns the trace and span IDs of the API request with this
// audit ID. Every stage's log record and the request's span carry them, so
// logs and traces of one request correlate without shared state.
//
// kube-apiserver audit IDs are UUIDs: the trace ID is then the UUID's 16
// bytes, so that a trace can be found from the auditID by eye. Other IDs
// (clients may set Audit-ID) are hashed. The span ID is always hashed.
// Grouping causally related requests into one trace would change only the
// trace ID, derived from the root request's audit ID.
func RequestIDs(auditID string) (pcommon.TraceID, pcommon.SpanID) {
	// A UUID does not fit the 32 bytes a string's conversion may take on
	// the stack; this buffer spares the allocation.
	var buf [64]byte
	sum := sha256.Sum256(append(buf[:0], auditID...))
	var traceID pcommon.TraceID
	if !parseUUID(auditID, traceID[:]) {
		copy(traceID[:], sum[:16])
	}
	var spanID pcommon.SpanID
	copy(spanID[:], sum[16:24])
	// All-zero IDs are invalid; vanishingly rare, but keep the IDs valid.
	if traceID.IsEmpty() {
		traceID[15] = 1
	}
	if spanID.IsEmpty() {
		spanID[7] = 1
	}
	return traceID, spanID
}

// parseUUID decodes the canonical 8-4-4-4-12 hex form into dst (16 bytes).
func parseUUID(s string, dst []byte) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false
	}
	var buf [32]byte
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '-' {
			continue
		}
		buf[n] = s[i]
		n++
	}
	_, err := hex.Decode(dst, buf[:])
	return err == nil
}
