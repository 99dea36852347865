// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent

import (
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// The seed corpora are in testdata/fuzz/<target>/: real events from the
// fixtures, and the shapes that broke or nearly broke decoders before.

// FuzzAppendEvent feeds one log line to the decoder: whatever the bytes, one
// record comes out, either an audit event or a bad-input record saying why,
// and every string in it is valid UTF-8 (OTLP requires it); body_format: raw
// gives the same record with the text for a body.
func FuzzAppendEvent(f *testing.F) {
	f.Add([]byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"ResponseComplete","stageTimestamp":"2026-11-22T13:29:04.340200Z"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var c Converter
		lrs := plog.NewLogRecordSlice()
		counts := c.AppendEvent(lrs, raw, "", 1)
		if lrs.Len() != 1 || counts.Records() != 1 {
			t.Fatalf("%d records, counts %+v; want exactly one", lrs.Len(), counts)
		}
		lr := lrs.At(0)
		_, isEvent := lr.Attributes().Get(AttrAuditID)
		_, isBad := lr.Attributes().Get(AttrErrorType)
		if isEvent == isBad || (counts.Events == 1) != isEvent {
			t.Fatalf("record is neither an event nor a bad input, or both: %v", lr.Attributes().AsRaw())
		}
		assertValidUTF8(t, lr.Body())
		assertValidUTF8(t, pcommonMapValue(lr.Attributes()))

		// The truncation path reads any prefix.
		lrs = plog.NewLogRecordSlice()
		if c.AppendTruncated(lrs, raw, len(raw), 1).Oversized != 1 || lrs.Len() != 1 {
			t.Fatal("AppendTruncated must append exactly one oversized record")
		}
		assertValidUTF8(t, lrs.At(0).Body())

		// body_format: raw reads the same event from the text alone.
		rawMatchesStructured(t, raw)
		// A line handed over gives the same records as a copied one.
		ownedMatchesCopied(t, raw)
		// And the span connector reads the same stage and times from both.
		stageTimesAgree(t, raw)
	})
}

// FuzzAppendPayload feeds a webhook body: an error appends nothing; otherwise
// the counts match the records appended.
func FuzzAppendPayload(f *testing.F) {
	f.Add([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a","stage":"RequestReceived","stageTimestamp":"2026-11-22T13:29:04.340200Z"}]}`))
	f.Add([]byte(`[{"auditID":"a"},{"auditID":"b"}]`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		var c Converter
		lrs := plog.NewLogRecordSlice()
		lrs.AppendEmpty() // a record already there must survive an error
		counts, err := c.AppendPayload(lrs, payload, 1)
		if err != nil {
			if lrs.Len() != 1 || counts.Records() != 0 {
				t.Fatalf("error %v left %d records (counts %+v)", err, lrs.Len()-1, counts)
			}
			return
		}
		if lrs.Len()-1 != counts.Records() {
			t.Fatalf("%d records appended, counts say %d", lrs.Len()-1, counts.Records())
		}
		for i := 1; i < lrs.Len(); i++ {
			assertValidUTF8(t, lrs.At(i).Body())
		}
		// body_format: raw, which scans each item from its own text, reads the same.
		rawPayloadMatchesStructured(t, payload)
		// The webhook reuses the payload's buffer once this returns.
		assertKeepsNoPayloadMemory(t, Converter{}, payload)
		assertKeepsNoPayloadMemory(t, Converter{RawBody: true}, payload)
	})
}

func pcommonMapValue(m pcommon.Map) pcommon.Value {
	v := pcommon.NewValueEmpty()
	m.CopyTo(v.SetEmptyMap())
	return v
}

func assertValidUTF8(t *testing.T, v pcommon.Value) {
	t.Helper()
	switch v.Type() {
	case pcommon.ValueTypeStr:
		if !utf8.ValidString(v.Str()) {
			t.Fatalf("invalid UTF-8 string %q", v.Str())
		}
	case pcommon.ValueTypeMap:
		for k, e := range v.Map().All() {
			if !utf8.ValidString(k) {
				t.Fatalf("invalid UTF-8 key %q", k)
			}
			assertValidUTF8(t, e)
		}
	case pcommon.ValueTypeSlice:
		for _, e := range v.Slice().All() {
			assertValidUTF8(t, e)
		}
	}
}
