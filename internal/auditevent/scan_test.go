// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// rawMatchesStructured fails t unless the record body_format: raw makes of
// raw is the structured one with the event's text for a body: same
// attributes, timestamps, severity, IDs, errors, counts.
func rawMatchesStructured(t testing.TB, raw []byte) {
	t.Helper()
	structured, raws := plog.NewLogRecordSlice(), plog.NewLogRecordSlice()
	sc := (&Converter{}).AppendEvent(structured, raw, "", testObserved)
	rc := (&Converter{RawBody: true}).AppendEvent(raws, raw, "", testObserved)
	if sc != rc {
		t.Fatalf("counts: structured %+v, raw %+v", sc, rc)
	}
	rawRecordMatches(t, structured.At(0), raws.At(0), sc.Events == 1)
	if sc.Events == 1 && utf8.Valid(raw) && raws.At(0).Body().Str() != string(raw) {
		t.Fatalf("raw body is not the event's text")
	}
}

// rawRecordMatches fails t unless r, made with body_format: raw, is s, made
// structured, with the event's text for a body.
func rawRecordMatches(t testing.TB, s, r plog.LogRecord, isEvent bool) {
	t.Helper()
	if !equalRaw(s.Attributes().AsRaw(), r.Attributes().AsRaw()) {
		t.Fatalf("attributes differ:\nstructured %v\nraw        %v", s.Attributes().AsRaw(), r.Attributes().AsRaw())
	}
	if s.Timestamp() != r.Timestamp() || s.ObservedTimestamp() != r.ObservedTimestamp() ||
		s.SeverityNumber() != r.SeverityNumber() || s.SeverityText() != r.SeverityText() ||
		s.TraceID() != r.TraceID() || s.SpanID() != r.SpanID() {
		t.Fatalf("record fields differ: structured %v %v %v %v, raw %v %v %v %v",
			s.Timestamp(), s.SeverityNumber(), s.TraceID(), s.SpanID(), r.Timestamp(), r.SeverityNumber(), r.TraceID(), r.SpanID())
	}
	if !isEvent {
		if s.Body().AsRaw() != r.Body().AsRaw() {
			t.Fatalf("bad-input bodies differ")
		}
		return
	}
	reparsed := pcommon.NewValueEmpty()
	if err := ParseJSON([]byte(r.Body().Str()), reparsed); err != nil {
		t.Fatalf("raw body does not parse: %v", err)
	}
	if !equalRaw(s.Body().Map().AsRaw(), reparsed.Map().AsRaw()) {
		t.Fatalf("raw body does not read back as the structured body")
	}
}

// rawPayloadMatchesStructured is rawMatchesStructured for a webhook body.
func rawPayloadMatchesStructured(t testing.TB, payload []byte) {
	t.Helper()
	structured, raws := plog.NewLogRecordSlice(), plog.NewLogRecordSlice()
	sc, serr := (&Converter{}).AppendPayload(structured, payload, testObserved)
	rc, rerr := (&Converter{RawBody: true}).AppendPayload(raws, payload, testObserved)
	if sc != rc || (serr == nil) != (rerr == nil) || structured.Len() != raws.Len() {
		t.Fatalf("structured %+v %v (%d records), raw %+v %v (%d records)", sc, serr, structured.Len(), rc, rerr, raws.Len())
	}
	for i := range structured.Len() {
		_, isEvent := structured.At(i).Attributes().Get(AttrAuditID)
		rawRecordMatches(t, structured.At(i), raws.At(i), isEvent)
	}
}

func equalRaw(a, b map[string]any) bool {
	return assert.ObjectsAreEqual(a, b)
}

// mappingInputs are the mapping fixtures' events by file: a .json file is
// one event, a .jsonl file one per line.
func mappingInputs(t *testing.T) map[string][][]byte {
	t.Helper()
	inputs, err := filepath.Glob("testdata/mapping/*.json*")
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	events := map[string][][]byte{}
	for _, in := range inputs {
		raw, err := os.ReadFile(in)
		require.NoError(t, err)
		lines := [][]byte{raw}
		if filepath.Ext(in) == ".jsonl" {
			lines = bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
		}
		events[filepath.Base(in)] = lines
	}
	return events
}

func TestRawBodyMatchesStructured(t *testing.T) {
	for name, lines := range mappingInputs(t) {
		for i, line := range lines {
			t.Run(name+"/"+string(rune('0'+i)), func(t *testing.T) { rawMatchesStructured(t, line) })
		}
	}

	valid := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","verb":"get","user":{"username":"u","groups":["g1","g2"]},"sourceIPs":["10.0.0.1","10.0.0.2"],"responseStatus":{"code":404,"reason":"NotFound"},"annotations":{"authorization.k8s.io/decision":"allow"},"stageTimestamp":"2026-11-22T13:28:46.771358Z"}`
	for name, in := range map[string]string{
		"valid":                     valid,
		"escaped member name":       strings.Replace(valid, `"verb"`, `"v\u0065rb"`, 1),
		"escaped nested name":       strings.Replace(valid, `"username"`, `"user\u006eame"`, 1),
		"escaped value":             strings.Replace(valid, `"u"`, `"\u0075\n"`, 1),
		"invalid UTF-8":             strings.Replace(valid, `"u"`, "\"u\xff\"", 1),
		"duplicate field":           strings.Replace(valid, `"verb":"get"`, `"verb":"get","verb":"list"`, 1),
		"duplicate, not a string":   strings.Replace(valid, `"verb":"get"`, `"verb":"get","verb":7`, 1),
		"apiVersion then empty":     strings.Replace(valid, `"level"`, `"apiVersion":"","level"`, 1),
		"apiVersion not a string":   strings.Replace(valid, `"audit.k8s.io/v1"`, `["x"]`, 1),
		"kind not a string":         strings.Replace(valid, `"Event"`, `{"a":1}`, 1),
		"user then not an object":   strings.Replace(valid, `"sourceIPs"`, `"user":5,"sourceIPs"`, 1),
		"code as a float":           strings.Replace(valid, `404`, `5.03e2`, 1),
		"code as a string":          strings.Replace(valid, `404`, `"404"`, 1),
		"groups not strings":        strings.Replace(valid, `["g1","g2"]`, `[1,{"a":null},true]`, 1),
		"v1beta1 timestamps":        strings.Replace(valid, `"stageTimestamp":"2026-11-22T13:28:46.771358Z"`, `"timestamp":"2017-09-11T19:55:05Z","metadata":{"creationTimestamp":"2017-09-11T19:55:06Z"}`, 1),
		"metadata then not object":  strings.Replace(valid, `"stageTimestamp":"2026-11-22T13:28:46.771358Z"`, `"metadata":{"creationTimestamp":"2017-09-11T19:55:06Z"},"metadata":1`, 1),
		"bad time":                  strings.Replace(valid, "2026-11-22T13:28:46.771358Z", "yesterday", 1),
		"time not a string":         strings.Replace(valid, `"2026-11-22T13:28:46.771358Z"`, `17`, 1),
		"syntax error in an object": strings.Replace(valid, `"code":404`, `"code":404,,`, 1),
		"trailing data":             valid + "{}",
		"not an object":             `["a"]`,
		"a string":                  `"abc"`,
		"empty":                     ``,
	} {
		t.Run(name, func(t *testing.T) { rawMatchesStructured(t, []byte(in)) })
	}
}

// A valid event keeps its whole text however large; only a bad input's
// text is cut to MaxRawKept.
func TestRawBodyIsNotCut(t *testing.T) {
	big := `{"auditID":"a","stage":"ResponseComplete","stageTimestamp":"2026-11-22T13:28:46Z","requestObject":{"data":"` +
		strings.Repeat("x", 2*MaxRawKept) + `"}}`
	lrs := plog.NewLogRecordSlice()
	require.Equal(t, Counts{Events: 1}, (&Converter{RawBody: true}).AppendEvent(lrs, []byte(big), "", testObserved))
	assert.Equal(t, big, lrs.At(0).Body().Str())
}

// TestRawPayloadMatchesStructured: webhook bodies read with body_format:
// raw give the structured records with each item's text for a body; real
// kube-apiserver v1.37 POSTs and the shapes the scan must hand back to the
// general reader.
func TestRawPayloadMatchesStructured(t *testing.T) {
	bodies, err := filepath.Glob("../../../shared/fixtures/kube-apiserver-v1.37/*/webhook/*.body")
	require.NoError(t, err)
	require.NotEmpty(t, bodies)
	bodies = append(bodies, "testdata/mapping/webhook-eventlist.body")
	for _, path := range bodies {
		payload, err := os.ReadFile(path)
		require.NoError(t, err)
		t.Run(filepath.Base(path), func(t *testing.T) { rawPayloadMatchesStructured(t, payload) })
	}

	good := `{"auditID":"a1","stage":"ResponseComplete","verb":"get","user":{"username":"u","groups":["g"]},"stageTimestamp":"2026-11-22T13:28:46.771358Z"}`
	for name, payload := range map[string]string{
		"list":                    `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + good + `, ` + good + "\n]}",
		"v1beta1 list":            `{"kind":"EventList","apiVersion":"audit.k8s.io/v1beta1","items":[{"auditID":"b","stage":"ResponseComplete","timestamp":"2019-01-01T00:00:00Z"}]}`,
		"array":                   `[ ` + good + ` ,` + good + `]`,
		"bad item among good":     `[` + good + `,{"auditID":"x","stage":"Nope","stageTimestamp":"2026-11-22T13:28:46Z"},` + good + `,3,"s"]`,
		"escaped member name":     `[` + good + `,{"audit\u0049D":"e","stage":"ResponseComplete","stageTimestamp":"2026-11-22T13:28:46Z","objectRef":{"x":[{"y":1}]}},` + good + `]`,
		"escaped nested name":     `[{"auditID":"n","user":{"user\u006eame":"z","groups":[]},"stage":"ResponseComplete","stageTimestamp":"2026-11-22T13:28:46Z"},` + good + `]`,
		"escaped strings":         `[{"auditID":"q\"1","stage":"ResponseComplete","userAgent":"a\u00e9b","stageTimestamp":"2026-11-22T13:28:46Z"}]`,
		"invalid UTF-8 elsewhere": "[" + good + ",{\"auditID\":\"\xff\",\"stage\":\"ResponseComplete\",\"stageTimestamp\":\"2026-11-22T13:28:46Z\"}]",
		"syntax error in item":    `[` + good + `,{"auditID":"a","stage":}]`,
		"single event":            good,
		// Shapes the raw reader leaves to jsontext's, after it appended
		// records for the items before them.
		"syntax error after items":   `{"kind":"EventList","items":[` + good + `,` + good + `],"x":tru}`,
		"apiVersion not a string":    `{"apiVersion":"audit.k8s.io/v1beta1","items":[` + good + `],"apiVersion":5}`,
		"apiVersion after items":     `{"items":[` + good + `],"apiVersion":"audit.k8s.io/v2"}`,
		"kind Event with items":      `{"kind":"Event","items":[` + good + `],"auditID":"s","stage":"ResponseComplete","stageTimestamp":"2026-11-22T13:28:46Z"}`,
		"items twice":                `{"items":[` + good + `],"items":[` + good + `]}`,
		"items not an array":         `{"kind":"EventList","items":{}}`,
		"escaped envelope name":      `{"kind":"EventList","it\u0065ms":[` + good + `]}`,
		"trailing data after a list": `[` + good + `] []`,
	} {
		t.Run(name, func(t *testing.T) { rawPayloadMatchesStructured(t, []byte(payload)) })
	}
}

// TestLexedPayloadTakesWhatKubeAPIServerSends: the lexer's reader of
// webhook bodies reads real POSTs itself, with no fallback to jsontext.
func TestLexedPayloadTakesWhatKubeAPIServerSends(t *testing.T) {
	for path, payload := range kubeAPIServerPOSTs(t) {
		for _, raw := range []bool{false, true} {
			c := Converter{RawBody: raw}
			counts, ok := c.appendLexedPayload(plog.NewLogRecordSlice(), payload, testObserved)
			assert.True(t, ok, path)
			assert.Positive(t, counts.Events, path)
		}
	}
}

// TestLexedItemsMatchLines: an item read from kube-apiserver's POST in the
// payload's one pass gives the record its text gives as a log line, in both
// body formats.
func TestLexedItemsMatchLines(t *testing.T) {
	for path, payload := range kubeAPIServerPOSTs(t) {
		var list struct {
			APIVersion string            `json:"apiVersion"`
			Items      []json.RawMessage `json:"items"`
		}
		require.NoError(t, json.Unmarshal(payload, &list), path)
		for _, raw := range []bool{false, true} {
			c := Converter{RawBody: raw}
			got := plog.NewLogs()
			gotLrs := got.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
			_, err := c.AppendPayload(gotLrs, payload, testObserved)
			require.NoError(t, err, path)
			want := plog.NewLogs()
			wantLrs := want.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
			for _, item := range list.Items {
				c.AppendEvent(wantLrs, item, list.APIVersion, testObserved)
			}
			require.Positive(t, wantLrs.Len(), path)
			require.NoError(t, plogtest.CompareLogs(want, got), path)
		}
	}
}

// kubeAPIServerPOSTs is the bodies of the real webhook POSTs of
// kube-apiserver v1.37 in the shared fixtures, by path.
func kubeAPIServerPOSTs(t *testing.T) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("../../../shared/fixtures/kube-apiserver-v1.37/*/webhook/*.body")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	bodies := make(map[string][]byte, len(paths))
	for _, path := range paths {
		payload, err := os.ReadFile(path)
		require.NoError(t, err)
		bodies[path] = payload
	}
	return bodies
}
