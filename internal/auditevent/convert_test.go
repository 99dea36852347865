// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

var testObserved = pcommon.NewTimestampFromTime(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC))

// convertFile converts a test input by its extension: .json is one
// document, .jsonl one event per line, .body a webhook payload.
func convertFile(t *testing.T, c Converter, path string) (plog.Logs, Counts) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	logs := plog.NewLogs()
	lrs := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	var counts Counts
	switch filepath.Ext(path) {
	case ".json":
		counts = c.AppendEvent(lrs, raw, "", testObserved)
	case ".jsonl":
		for line := range bytes.SplitSeq(raw, []byte("\n")) {
			if len(bytes.TrimSpace(line)) > 0 {
				counts.Add(c.AppendEvent(lrs, line, "", testObserved))
			}
		}
	case ".body":
		counts, err = c.AppendPayload(lrs, raw, testObserved)
		require.NoError(t, err)
	default:
		t.Fatalf("unknown input type %s", path)
	}
	return logs, counts
}

// TestMappingGolden covers every stage, v1 and v1beta1, real kube-apiserver
// v1.37 output, Falco's and audit2rbac's published events and the seed
// documents' example (see testdata/mapping/README.md).
func TestMappingGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/mapping/*.json*")
	require.NoError(t, err)
	bodies, err := filepath.Glob("testdata/mapping/*.body")
	require.NoError(t, err)
	inputs = append(inputs, bodies...)
	require.GreaterOrEqual(t, len(inputs), 15)

	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
		t.Run(name, func(t *testing.T) {
			actual, counts := convertFile(t, Converter{}, in)
			expectedFile := filepath.Join("testdata", "mapping", "expected", name+".yaml")
			// golden.WriteLogs(t, expectedFile, actual)
			expected, err := golden.ReadLogs(expectedFile)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(expected, actual))

			wantMalformed := strings.HasPrefix(name, "malformed") || strings.HasPrefix(name, "seed-typographic")
			assert.Equal(t, wantMalformed, counts.Malformed > 0, "malformed count %+v", counts)
		})
	}
}

func TestRawBodyKeepsEventText(t *testing.T) {
	path := "testdata/mapping/v1-responsecomplete-impersonated.json"
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	structured, _ := convertFile(t, Converter{}, path)
	rawLogs, counts := convertFile(t, Converter{RawBody: true}, path)
	require.Equal(t, 1, counts.Events)

	s := structured.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	r := rawLogs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	assert.Equal(t, string(raw), r.Body().Str())
	assert.Equal(t, s.Attributes().AsRaw(), r.Attributes().AsRaw())
	assert.Equal(t, s.Timestamp(), r.Timestamp())
}

func TestEventFields(t *testing.T) {
	logs, counts := convertFile(t, Converter{}, "testdata/mapping/v1beta1-audit2rbac.jsonl")
	require.Equal(t, 4, counts.Events)
	lr := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	// v1beta1 without stageTimestamp: second-precision "timestamp".
	assert.Equal(t, time.Date(2017, 9, 11, 19, 55, 5, 0, time.UTC), lr.Timestamp().AsTime())
	assert.Equal(t, testObserved, lr.ObservedTimestamp())

	logs, _ = convertFile(t, Converter{}, "testdata/mapping/v1-responsestarted-watch-pods.json")
	lr = logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	// v1: microseconds survive.
	assert.Equal(t, 0, lr.Timestamp().AsTime().Nanosecond()%1000)
	assert.NotZero(t, lr.Timestamp().AsTime().Nanosecond())
}

func TestSeverity(t *testing.T) {
	for name, want := range map[string]plog.SeverityNumber{
		"v1-panic":                             plog.SeverityNumberError,
		"v1-responsestarted-401-badtoken":      plog.SeverityNumberWarn,
		"v1-responsecomplete-403-alice":        plog.SeverityNumberWarn,
		"v1-responsecomplete-impersonated":     plog.SeverityNumberInfo,
		"v1-requestreceived-create-deployment": plog.SeverityNumberInfo,
	} {
		logs, _ := convertFile(t, Converter{}, "testdata/mapping/"+name+".json")
		assert.Equal(t, want, logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).SeverityNumber(), name)
	}
}

func TestBadEvents(t *testing.T) {
	valid := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","verb":"get","stageTimestamp":"2026-11-22T13:28:46.771358Z"}`
	tests := []struct {
		name, input, wantErr string
	}{
		{"valid", valid, ""},
		{"truncated", valid[:40], "invalid JSON: unexpected end of input"},
		{"not an object", `["a"]`, "audit event must be a JSON object"},
		{"trailing data", valid + ` {}`, "unexpected data after the top-level value"},
		{"wrong kind", strings.Replace(valid, `"Event"`, `"Pod"`, 1), `kind is "Pod", want "Event"`},
		{"kind not a string", `{"kind":0}`, `kind is not a string but int`},
		{"wrong apiVersion", strings.Replace(valid, "audit.k8s.io/v1", "audit.k8s.io/v2", 1), `apiVersion "audit.k8s.io/v2" is not supported`},
		{"no auditID", strings.Replace(valid, `"auditID":"a1",`, "", 1), "auditID is missing"},
		{"no stage", strings.Replace(valid, `"stage":"ResponseComplete",`, "", 1), "stage is missing"},
		{"unknown stage", strings.Replace(valid, "ResponseComplete", "Done", 1), `stage "Done" is not one of`},
		{"bad time", strings.Replace(valid, "2026-11-22T13:28:46.771358Z", "yesterday", 1), `stageTimestamp "yesterday" is not an RFC 3339 time`},
		{"no time", strings.Replace(valid, `,"stageTimestamp":"2026-11-22T13:28:46.771358Z"`, "", 1), "stageTimestamp is missing"},
		{"NUL byte", strings.Replace(valid, `"get"`, "\"g\x00et\"", 1), "invalid JSON"},
		{"invalid UTF-8 is mangled, not refused", strings.Replace(valid, `"get"`, "\"g\xffet\"", 1), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lrs := plog.NewLogRecordSlice()
			counts := (&Converter{}).AppendEvent(lrs, []byte(tt.input), "", testObserved)
			require.Equal(t, 1, lrs.Len())
			lr := lrs.At(0)
			errAttr, hasErr := lr.Attributes().Get(AttrError)
			if tt.wantErr == "" {
				if hasErr {
					t.Fatalf("unexpected error %s", errAttr.Str())
				}
				assert.Equal(t, Counts{Events: 1}, counts)
				return
			}
			require.True(t, hasErr)
			assert.Contains(t, errAttr.Str(), tt.wantErr)
			assert.Equal(t, Counts{Malformed: 1}, counts)
			typ, _ := lr.Attributes().Get(AttrErrorType)
			assert.Equal(t, ErrorTypeMalformed, typ.Str())
			assert.Equal(t, strings.ToValidUTF8(tt.input, "\uFFFD"), lr.Body().Str())
			assert.Equal(t, 2, lr.Attributes().Len(), "only the error attributes: %v", lr.Attributes().AsRaw())
		})
	}
}

func TestInvalidUTF8IsReplaced(t *testing.T) {
	lrs := plog.NewLogRecordSlice()
	in := `{"auditID":"a1","stage":"ResponseComplete","verb":"get","userAgent":"x` + "\xff" + `y","stageTimestamp":"2026-11-22T13:28:46.771358Z"}`
	require.Equal(t, Counts{Events: 1}, (&Converter{}).AppendEvent(lrs, []byte(in), "", testObserved))
	ua, _ := lrs.At(0).Attributes().Get(AttrUserAgent)
	assert.Equal(t, "x\uFFFDy", ua.Str())
}

func TestBadInputKeepsBoundedRawText(t *testing.T) {
	lrs := plog.NewLogRecordSlice()
	huge := bytes.Repeat([]byte("x"), 3*MaxRawKept)
	(&Converter{}).AppendEvent(lrs, huge, "", testObserved)
	assert.Len(t, lrs.At(0).Body().Str(), MaxRawKept)
}

func TestAppendTruncatedKeepsMetadata(t *testing.T) {
	raw, err := os.ReadFile("testdata/mapping/v1-responsecomplete-create-deployment.json")
	require.NoError(t, err)
	cut := bytes.Index(raw, []byte(`"requestObject"`)) + 200
	lrs := plog.NewLogRecordSlice()
	counts := (&Converter{}).AppendTruncated(lrs, raw[:cut], cut, testObserved)
	assert.Equal(t, Counts{Oversized: 1}, counts)
	attrs := lrs.At(0).Attributes().AsRaw()
	assert.Equal(t, ErrorTypeOversized, attrs[AttrErrorType])
	assert.Equal(t, "create", attrs[AttrVerb])
	assert.Equal(t, "deployments", attrs[AttrResource])
	assert.NotEmpty(t, attrs[AttrAuditID])
	assert.NotEmpty(t, attrs[AttrUserName])
	_, hasRequestObject := lrs.At(0).Body().Map().Get("requestObject")
	assert.False(t, hasRequestObject)

	// Garbage that is not even the start of an object keeps its raw text.
	lrs = plog.NewLogRecordSlice()
	(&Converter{}).AppendTruncated(lrs, []byte("garbage"), 7, testObserved)
	assert.Equal(t, "garbage", lrs.At(0).Body().Str())
}

func TestAppendPayloadShapes(t *testing.T) {
	event := func(id string) string {
		return `{"level":"Metadata","auditID":"` + id + `","stage":"ResponseComplete","verb":"get","stageTimestamp":"2026-11-22T13:28:46.771358Z"}`
	}
	tests := []struct {
		name      string
		payload   string
		wantIDs   []string
		wantBad   int
		wantError string
	}{
		{"v1 EventList", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` + event("a") + `,` + event("b") + `]}`, []string{"a", "b"}, 0, ""},
		{"v1beta1 EventList", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1beta1","items":[` + event("a") + `]}`, []string{"a"}, 0, ""},
		{"items before kind", `{"items":[` + event("a") + `],"kind":"EventList","apiVersion":"audit.k8s.io/v1"}`, []string{"a"}, 0, ""},
		{"empty EventList", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}`, nil, 0, ""},
		{"single Event", event("a"), []string{"a"}, 0, ""},
		{"array", `[` + event("a") + `,` + event("b") + `]`, []string{"a", "b"}, 0, ""},
		{"one bad item among good ones", `{"kind":"EventList","items":[` + event("a") + `,{"auditID":"x"},` + event("b") + `]}`, []string{"a", "", "b"}, 1, ""},
		{"bad items spaced out", `{"kind":"EventList","items":[ ` + event("a") + " ,\n\t" + `{"auditID":"x"}` + "\n ,  " + `{"auditID":"x"} ]}`, []string{"a", "", ""}, 2, ""},
		{"bad first item", `[{"auditID":"x"},` + event("a") + `]`, []string{"", "a"}, 1, ""},
		{"wrong list apiVersion", `{"kind":"EventList","apiVersion":"audit.k8s.io/v2","items":[` + event("a") + `]}`, nil, 0, `EventList apiVersion "audit.k8s.io/v2" is not supported`},
		{"wrong kind", `{"kind":"PodList","items":[]}`, nil, 0, `kind "PodList" is not EventList or Event`},
		{"items not an array", `{"kind":"EventList","items":{}}`, nil, 0, "items must be an array"},
		{"truncated list", `{"kind":"EventList","items":[` + event("a") + `,` + event("b")[:30], nil, 0, "invalid JSON"},
		{"empty", ` `, nil, 0, "empty body"},
		{"scalar", `42`, nil, 0, "body must be a JSON object"},
		{"trailing garbage", `[` + event("a") + `]]`, nil, 0, "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lrs := plog.NewLogRecordSlice()
			lrs.AppendEmpty() // records already in the batch are left alone
			counts, err := (&Converter{}).AppendPayload(lrs, []byte(tt.payload), testObserved)
			if tt.wantError != "" {
				require.ErrorIs(t, err, ErrPayload)
				assert.Contains(t, err.Error(), tt.wantError)
				assert.Equal(t, 1, lrs.Len(), "nothing appended on error")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantBad, counts.Malformed)
			var ids []string
			for i := 1; i < lrs.Len(); i++ {
				id := ""
				if v, ok := lrs.At(i).Attributes().Get(AttrAuditID); ok {
					id = v.Str()
				}
				ids = append(ids, id)
			}
			if len(tt.wantIDs) == 0 {
				assert.Empty(t, ids)
			} else {
				assert.Equal(t, tt.wantIDs, ids)
			}
			for i := 1; i < lrs.Len(); i++ {
				if _, bad := lrs.At(i).Attributes().Get(AttrErrorType); bad {
					assert.Equal(t, `{"auditID":"x"}`, lrs.At(i).Body().Str(), "a bad item keeps its own text")
				}
			}
		})
	}
}

func TestDeepNestingIsBounded(t *testing.T) {
	deep := `{"auditID":"a","stage":"ResponseComplete","stageTimestamp":"2026-11-22T13:28:46Z","requestObject":` +
		strings.Repeat(`{"a":`, 20000) + `1` + strings.Repeat(`}`, 20000) + `}`
	lrs := plog.NewLogRecordSlice()
	counts := (&Converter{}).AppendEvent(lrs, []byte(deep), "", testObserved)
	assert.Equal(t, Counts{Malformed: 1}, counts)
	msg, _ := lrs.At(0).Attributes().Get(AttrError)
	assert.Contains(t, msg.Str(), "exceeded max depth")
}

// TestAppendPayloadKeepsNoPayloadMemory: the webhook hands its body buffer to
// the next request once AppendPayload returns, so no record may share the
// payload's memory. Overwriting the payload afterwards must change nothing.
func TestAppendPayloadKeepsNoPayloadMemory(t *testing.T) {
	good, err := os.ReadFile("testdata/mapping/webhook-eventlist.body")
	require.NoError(t, err)
	payloads := map[string][]byte{
		"eventlist": good,
		// A bad item's record keeps its text.
		"bad item": []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a","level":"Metadata"},"not an event"]}`),
		"event":    []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"ResponseComplete","level":"Metadata","verb":"get","requestURI":"/api","stageTimestamp":"2026-11-22T13:29:04.340200Z"}`),
		"array":    []byte("[" + strings.TrimSpace(string(readMappingEvent(t))) + "]"),
	}
	for name, payload := range payloads {
		for _, raw := range []bool{false, true} {
			t.Run(name+map[bool]string{false: "/structured", true: "/raw"}[raw], func(t *testing.T) {
				require.True(t, assertKeepsNoPayloadMemory(t, Converter{RawBody: raw}, payload), "payload refused")
			})
		}
	}
}

func readMappingEvent(t *testing.T) []byte {
	raw, err := os.ReadFile("testdata/mapping/v1-responsecomplete-create-deployment.json")
	require.NoError(t, err)
	return raw
}

// assertKeepsNoPayloadMemory reports false, checking nothing, for a payload
// AppendPayload refuses.
func assertKeepsNoPayloadMemory(t *testing.T, c Converter, payload []byte) bool {
	t.Helper()
	buf := bytes.Clone(payload)
	got := plog.NewLogs()
	lrs := got.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	counts, err := c.AppendPayload(lrs, buf, testObserved)
	if err != nil {
		return false
	}
	require.Equal(t, counts.Records(), lrs.Len())
	for i := range buf {
		buf[i] = 'X'
	}
	want := plog.NewLogs()
	wantLrs := want.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	_, err = c.AppendPayload(wantLrs, payload, testObserved)
	require.NoError(t, err)
	require.NoError(t, plogtest.CompareLogs(want, got))
	return true
}

// ownedMatchesCopied fails t unless AppendOwnedEvent, which slices the
// record's strings from the line itself, gives what AppendEvent gives from
// its copy, in both body formats.
func ownedMatchesCopied(t testing.TB, raw []byte) {
	t.Helper()
	for _, c := range []Converter{{}, {RawBody: true}} {
		want := plog.NewLogs()
		wantCounts := c.AppendEvent(want.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords(), raw, "", testObserved)
		got := plog.NewLogs()
		gotCounts := c.AppendOwnedEvent(got.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords(), bytes.Clone(raw), testObserved)
		if wantCounts != gotCounts {
			t.Fatalf("raw body %v: counts %+v, owned %+v", c.RawBody, wantCounts, gotCounts)
		}
		if err := plogtest.CompareLogs(want, got); err != nil {
			t.Fatalf("raw body %v: owned record differs: %v", c.RawBody, err)
		}
	}
}

func TestAppendOwnedEventMatchesAppendEvent(t *testing.T) {
	for _, lines := range mappingInputs(t) {
		for _, line := range lines {
			ownedMatchesCopied(t, line)
		}
	}
	for _, in := range []string{
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","user":{"username":"b` + "\xff" + `ad"},"stageTimestamp":"2026-11-22T13:29:04.340200Z"}`,
		`{"kind":"Event","auditID":`,
		"",
	} {
		ownedMatchesCopied(t, []byte(in))
	}
}
