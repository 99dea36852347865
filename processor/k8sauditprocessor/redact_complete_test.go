// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// seedSet hands out distinctive secret values and remembers them, so that a
// test can look for every one of them in the output.
type seedSet struct{ values []string }

// plain is a distinctive plain-text secret. Some carry characters that JSON
// escapes, so that the escaped forms are searched too.
func (s *seedSet) plain(name string) string {
	v := fmt.Sprintf("seed-%s-%d-Zq8X", name, len(s.values))
	if len(s.values)%3 == 1 {
		v += `"<&>/\`
	}
	s.values = append(s.values, v)
	return v
}

// b64 is a plain seed as a Secret's data holds it.
func (s *seedSet) b64(name string) string {
	return base64.StdEncoding.EncodeToString([]byte(s.plain(name)))
}

// jwt is a distinctive JWT-shaped token.
func (s *seedSet) jwt(name string) string {
	enc := base64.RawURLEncoding.EncodeToString
	v := enc([]byte(`{"alg":"RS256","kid":"seed"}`)) + "." +
		enc([]byte(fmt.Sprintf(`{"sub":"seed-%s-%d"}`, name, len(s.values)))) + "." +
		enc([]byte(fmt.Sprintf("signature-%s-%d", name, len(s.values))))
	s.values = append(s.values, v)
	return v
}

// forms are the ways a seed can appear in bytes: itself, its base64 and its
// JSON-escaped forms (once and twice, as inside a last-applied annotation).
func forms(seed string) []string {
	once, _ := json.Marshal(seed)
	twice, _ := json.Marshal(string(once))
	out := []string{
		seed,
		base64.StdEncoding.EncodeToString([]byte(seed)),
		base64.RawURLEncoding.EncodeToString([]byte(seed)),
		strings.Trim(string(once), `"`),
		strings.Trim(string(twice), `"`),
	}
	// The distinctive core survives any escaping.
	if i := strings.Index(seed, "-Zq8X"); i > 0 {
		out = append(out, seed[:i+5])
	}
	return out
}

type auditCase struct {
	verb, resource, subresource, group string
	uri                                string
	request, response                  any
	annotations                        map[string]string
	message                            string
}

func (c auditCase) event(i int) string {
	ref := map[string]any{"resource": c.resource, "namespace": "audit-demo", "apiVersion": "v1"}
	if c.subresource != "" {
		ref["subresource"] = c.subresource
	}
	if c.group != "" {
		ref["apiGroup"] = c.group
	}
	ev := map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
		"auditID": fmt.Sprintf("00000000-0000-4000-8000-%012d", i), "stage": "ResponseComplete",
		"requestURI": c.uri, "verb": c.verb,
		"user":      map[string]any{"username": "admin", "uid": "uid-admin", "groups": []string{"system:masters", "system:authenticated"}},
		"sourceIPs": []string{"127.0.0.1"}, "userAgent": "kubectl/v1.37.2",
		"objectRef":                ref,
		"responseStatus":           map[string]any{"metadata": map[string]any{}, "code": 200, "message": c.message},
		"requestReceivedTimestamp": "2026-11-22T13:30:05.299680Z",
		"stageTimestamp":           "2026-11-22T13:30:05.306933Z",
	}
	if c.uri == "" {
		ev["requestURI"] = "/api/v1/namespaces/audit-demo/" + c.resource
	}
	if c.request != nil {
		ev["requestObject"] = c.request
	}
	if c.response != nil {
		ev["responseObject"] = c.response
	}
	if c.annotations != nil {
		ev["annotations"] = c.annotations
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return string(raw)
}

func secretObject(name string, data, stringData map[string]string, lastApplied string) map[string]any {
	meta := map[string]any{"name": name, "namespace": "audit-demo", "uid": "4c6e3755-bb53-48c2-985e-d4fded51c1f3"}
	if lastApplied != "" {
		meta["annotations"] = map[string]string{lastAppliedAnnotation: lastApplied}
	}
	obj := map[string]any{"kind": "Secret", "apiVersion": "v1", "metadata": meta, "type": "Opaque"}
	if data != nil {
		obj["data"] = data
	}
	if stringData != nil {
		obj["stringData"] = stringData
	}
	return obj
}

// lastApplied is kubectl's annotation for an applied Secret with stringData.
func lastApplied(name string, stringData, data map[string]string) string {
	obj := map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
		"metadata": map[string]any{"annotations": map[string]any{}, "name": name, "namespace": "audit-demo"},
	}
	if stringData != nil {
		obj["stringData"] = stringData
	}
	if data != nil {
		obj["data"] = data
	}
	raw, _ := json.Marshal(obj)
	return string(raw) + "\n"
}

// seededEvents are events carrying seeded secrets in every place kube-apiserver
// puts them: Secrets created, updated, patched (JSON patch arrays, merge and
// strategic merge documents), applied, listed (also as a table), watched and
// deleted; TokenReviews; TokenRequests; last-applied annotations; bearer
// tokens and JWTs in free text.
func seededEvents(s *seedSet) []string {
	var cases []auditCase
	// create with data and stringData; kubectl create from literal.
	created := secretObject("created", map[string]string{"password": s.b64("create-data")}, map[string]string{"token": s.plain("create-stringdata")}, "")
	cases = append(cases, auditCase{verb: "create", resource: "secrets", request: created,
		response: secretObject("created", map[string]string{"password": s.b64("create-resp-data"), "token": s.b64("create-resp-sd")}, nil, "")})
	// kubectl apply: plain stringData in the last-applied annotation of both objects.
	la := lastApplied("applied", map[string]string{"api-key": s.plain("apply-lastapplied")}, nil)
	cases = append(cases, auditCase{verb: "create", resource: "secrets",
		request:  secretObject("applied", map[string]string{"api-key": s.b64("apply-data")}, nil, la),
		response: secretObject("applied", map[string]string{"api-key": s.b64("apply-resp-data")}, nil, la)})
	// update
	cases = append(cases, auditCase{verb: "update", resource: "secrets",
		request:  secretObject("updated", map[string]string{"k": s.b64("update-data")}, nil, lastApplied("updated", nil, map[string]string{"k": s.b64("update-lastapplied-data")})),
		response: secretObject("updated", map[string]string{"k": s.b64("update-resp-data")}, nil, "")})
	// JSON patch (RFC 6902): values at /data/x, a whole /data, /stringData,
	// a test op, and the last-applied annotation set by path.
	cases = append(cases, auditCase{verb: "patch", resource: "secrets",
		request: []any{
			map[string]any{"op": "replace", "path": "/data/password", "value": s.b64("jsonpatch-key")},
			map[string]any{"op": "add", "path": "/data", "value": map[string]string{"x": s.b64("jsonpatch-map")}},
			map[string]any{"op": "add", "path": "/stringData/y", "value": s.plain("jsonpatch-sd")},
			map[string]any{"op": "test", "path": "/data/password", "value": s.b64("jsonpatch-test")},
			map[string]any{"op": "add", "path": lastAppliedPatchPath, "value": lastApplied("patched", map[string]string{"z": s.plain("jsonpatch-la")}, nil)},
			map[string]any{"op": "replace", "path": "", "value": secretObject("patched", map[string]string{"w": s.b64("jsonpatch-root")}, nil, "")},
		},
		response: secretObject("patched", map[string]string{"password": s.b64("jsonpatch-resp"), "x": s.b64("jsonpatch-resp2")}, nil, "")})
	// merge patch and strategic merge patch: partial documents without kind.
	cases = append(cases, auditCase{verb: "patch", resource: "secrets",
		request: map[string]any{
			"data":       map[string]any{"password": s.b64("mergepatch-data"), "removed": nil},
			"stringData": map[string]string{"extra": s.plain("mergepatch-sd")},
			"metadata": map[string]any{"annotations": map[string]string{
				lastAppliedAnnotation: lastApplied("merged", map[string]string{"p": s.plain("mergepatch-la")}, nil),
			}},
		},
		response: secretObject("merged", map[string]string{"password": s.b64("mergepatch-resp")}, nil, "")})
	cases = append(cases, auditCase{verb: "patch", resource: "secrets",
		request: map[string]any{"$setElementOrder/data": []any{}, "data": map[string]string{"q": s.b64("smp-data")}}})
	// list, also across namespaces, and deletecollection.
	cases = append(cases, auditCase{verb: "list", resource: "secrets", response: map[string]any{
		"kind": "SecretList", "apiVersion": "v1", "metadata": map[string]any{},
		"items": []any{
			map[string]any{"metadata": map[string]any{"name": "a"}, "data": map[string]string{"k": s.b64("list-item1")}},
			map[string]any{"metadata": map[string]any{"name": "b", "annotations": map[string]string{lastAppliedAnnotation: lastApplied("b", map[string]string{"k": s.plain("list-item2-la")}, nil)}}, "data": map[string]string{"k": s.b64("list-item2")}},
		},
	}})
	cases = append(cases, auditCase{verb: "deletecollection", resource: "secrets", response: map[string]any{
		"kind": "SecretList", "apiVersion": "v1", "items": []any{secretObject("d", map[string]string{"k": s.b64("deletecollection")}, nil, "")},
	}})
	// table with full objects (kubectl get secrets -o json via tables).
	cases = append(cases, auditCase{verb: "list", resource: "secrets", response: map[string]any{
		"kind": "Table", "apiVersion": "meta.k8s.io/v1",
		"rows": []any{map[string]any{"cells": []any{"t"}, "object": secretObject("t", map[string]string{"k": s.b64("table-row")}, nil, "")}},
	}})
	// watch: a watch event wraps the object.
	cases = append(cases, auditCase{verb: "watch", resource: "secrets", response: map[string]any{
		"type": "ADDED", "object": secretObject("w", map[string]string{"k": s.b64("watch-data")}, map[string]string{"s": s.plain("watch-sd")}, ""),
	}})
	// get and delete return the Secret.
	cases = append(cases, auditCase{verb: "get", resource: "secrets", response: secretObject("g", map[string]string{"k": s.b64("get-data")}, nil, "")})
	cases = append(cases, auditCase{verb: "delete", resource: "secrets", response: secretObject("del", map[string]string{"k": s.b64("delete-data")}, nil, "")})
	// A Secret inside an unrelated request: a generic List create.
	cases = append(cases, auditCase{verb: "create", resource: "configmaps", request: map[string]any{
		"kind": "List", "items": []any{secretObject("in-list", map[string]string{"k": s.b64("generic-list")}, nil, lastApplied("in-list", map[string]string{"k": s.plain("generic-list-la")}, nil))},
	}})
	// Token objects where the objectRef does not announce them: a generic List.
	cases = append(cases, auditCase{verb: "create", resource: "configmaps", request: map[string]any{
		"kind": "List", "items": []any{
			map[string]any{"kind": "TokenRequest", "status": map[string]any{"token": s.plain("list-tokenrequest")}},
			map[string]any{"kind": "TokenReview", "spec": map[string]any{"token": s.plain("list-tokenreview")}},
		},
	}})
	// TokenReview: the token in request and response spec, opaque and JWT.
	for _, tok := range []string{s.plain("tokenreview-opaque"), s.jwt("tokenreview-jwt")} {
		tr := map[string]any{"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1", "spec": map[string]any{"token": tok}}
		trResp := map[string]any{"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1", "spec": map[string]any{"token": tok},
			"status": map[string]any{"authenticated": true, "user": map[string]any{"username": "system:serviceaccount:audit-demo:default"}}}
		cases = append(cases, auditCase{verb: "create", resource: "tokenreviews", group: "authentication.k8s.io", request: tr, response: trResp})
	}
	// TokenRequest: the token in the response status.
	for _, tok := range []string{s.jwt("tokenrequest-jwt"), s.plain("tokenrequest-opaque")} {
		cases = append(cases, auditCase{verb: "create", resource: "serviceaccounts", subresource: "token",
			uri:     "/api/v1/namespaces/audit-demo/serviceaccounts/default/token",
			request: map[string]any{"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1", "spec": map[string]any{"audiences": []string{"api"}}},
			response: map[string]any{"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1", "spec": map[string]any{"audiences": []string{"api"}},
				"status": map[string]any{"token": tok, "expirationTimestamp": "2026-11-22T14:30:05Z"}}})
	}
	// Bearer and JWT-shaped strings anywhere: a ConfigMap, the URI, a message, annotations.
	jwtInURI := s.jwt("uri")
	cases = append(cases, auditCase{verb: "create", resource: "configmaps",
		uri: "/api/v1/namespaces/audit-demo/configmaps?token=" + jwtInURI,
		request: map[string]any{"kind": "ConfigMap", "data": map[string]string{
			"kubeconfig": "users:\n- user:\n    token: " + s.jwt("configmap"),
			"curl":       "curl -H 'Authorization: Bearer " + s.plain("bearer-header") + "' https://x",
		}},
		message:     "Authorization: bearer " + s.plain("bearer-message"),
		annotations: map[string]string{"example.com/note": "id " + s.jwt("annotation")},
	})
	// A JWT as a key (ConfigMap keys may hold dots) and in a string list.
	cases = append(cases, auditCase{verb: "update", resource: "configmaps",
		request: map[string]any{"kind": "ConfigMap", "data": map[string]string{s.jwt("configmap-key"): "v", "[REDACTED]": "taken"},
			"metadata": map[string]any{"finalizers": []string{"bearer " + s.plain("bearer-in-list")}}},
	})
	events := make([]string, len(cases))
	for i, c := range cases {
		events[i] = c.event(i)
	}
	return events
}

// TestRedactionIsComplete seeds distinctive secrets into every place they
// can appear and asserts that none survives in any byte of the output.
func TestRedactionIsComplete(t *testing.T) {
	for _, rawBody := range []bool{false, true} {
		t.Run(fmt.Sprintf("raw=%v", rawBody), func(t *testing.T) {
			var s seedSet
			events := seededEvents(&s)
			// Real captures with secrets: the webhook bodies of the secrets capture.
			bodies, err := filepath.Glob(filepath.Join(webhookDir, "*.body"))
			require.NoError(t, err)
			inputs := append(append([]string{}, events...), bodies...)
			inputs = append(inputs, example("ResponseComplete-create-secret"), example("ResponseComplete-get-secret"))
			in := logsFrom(t, rawBody, inputs...)

			// The seeds are in the input, so the search below can find them.
			inBytes := marshalAll(t, in)
			for _, seed := range s.values {
				require.True(t, containsAny(inBytes, forms(seed)), "seed %q not planted", seed)
			}
			// From the real capture: a Secret's data (base64 of s3cr3t-P@ssw0rd)
			// and kubectl apply's stringData.
			realSecrets := []string{"czNjcjN0LVBAc3N3MHJk", "plain-text-api-key-12345", "cGxhaW4tdGV4dC1hcGkta2V5LTEyMzQ1"}
			for _, secret := range realSecrets {
				require.True(t, strings.Contains(inBytes, secret), "%s not in the input", secret)
			}

			// The receiver's records for bad input keep the raw text: they are
			// in a resource of their own, counted apart below.
			badInputLogs(t, &s, rawBody).ResourceLogs().MoveAndAppendTo(in.ResourceLogs())
			inBytes = marshalAll(t, in)
			for _, seed := range s.values {
				require.True(t, containsAny(inBytes, forms(seed)), "seed %q not planted", seed)
			}

			p := newTestProcessor(t, createDefaultConfig().(*Config))
			out := process(t, p, in)
			outBytes := marshalAll(t, out)
			require.Equal(t, in.LogRecordCount(), out.LogRecordCount())
			for _, seed := range s.values {
				for _, form := range forms(seed) {
					assert.False(t, strings.Contains(outBytes, form), "seed %q survived as %q", seed, form)
				}
			}
			for _, secret := range realSecrets {
				assert.False(t, strings.Contains(outBytes, secret), "%s survived", secret)
			}
			// Each seeded event says how much was redacted from it.
			for i, lr := range records(out)[:in.LogRecordCount()-badInputRecords] {
				n, ok := lr.Attributes().Get(attrRedactedCount)
				require.True(t, ok)
				if i < len(events) {
					assert.Positive(t, n.Int(), "seeded event %d", i)
				}
			}
		})
	}
}

// badInputRecords is the number of records badInputLogs makes.
const badInputRecords = 8

// badInputLogs are the receiver's records for seeded events it could not
// read: invalid events (their raw text is the body), an event cut at the
// size limit, an EventList item that is no event, and a raw body that claims
// an auditID but is not JSON.
func badInputLogs(t *testing.T, s *seedSet, rawBody bool) plog.Logs {
	t.Helper()
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	c := auditevent.Converter{RawBody: rawBody}
	malformed := func(raw string) {
		require.Equal(t, 1, c.AppendEvent(lrs, []byte(raw), "", testObserved).Malformed, "%.200s", raw)
	}
	ev := func(change func(map[string]any), c auditCase) string {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(c.event(90)), &m))
		change(m)
		raw, err := json.Marshal(m)
		require.NoError(t, err)
		return string(raw)
	}
	secretCase := auditCase{verb: "create", resource: "secrets",
		request: secretObject("bad", map[string]string{"k": s.b64("bad-stage-data")}, nil,
			lastApplied("bad", map[string]string{"k": s.plain("bad-stage-la")}, nil))}
	// An unknown stage: valid JSON, not a valid event.
	malformed(ev(func(m map[string]any) { m["stage"] = "Bogus" }, secretCase))
	// A broken objectRef: nothing says these are Secrets, yet the list items are.
	malformed(ev(func(m map[string]any) {
		m["objectRef"] = "secrets"
		delete(m, "stageTimestamp")
		m["responseObject"] = map[string]any{"items": []any{map[string]any{"data": map[string]string{"k": s.b64("bad-ref-item")}}}}
	}, auditCase{verb: "list", resource: "secrets"}))
	// A TokenRequest without kinds or objectRef.
	malformed(ev(func(m map[string]any) {
		delete(m, "objectRef")
		m["kind"] = "NotAnEvent"
		m["responseObject"] = map[string]any{"status": map[string]any{"token": s.plain("bad-tokenrequest")}}
	}, auditCase{verb: "create", resource: "serviceaccounts"}))
	// Invalid JSON: a Secret event cut short, with a JWT in its URI.
	cut := ev(func(m map[string]any) {
		m["requestURI"] = "/api/v1/namespaces/audit-demo/secrets?token=" + s.jwt("cut-uri")
	}, auditCase{verb: "create", resource: "secrets", request: secretObject("cut", map[string]string{"k": s.b64("cut-data")}, nil, "")})
	malformed(cut[:len(cut)-40])
	// Cut at the size limit: the receiver keeps what precedes the objects.
	require.Equal(t, 1, c.AppendTruncated(lrs, []byte(cut[:len(cut)-40]), 1<<20, testObserved).Oversized)
	// A truncated prefix the receiver cannot read at all.
	require.Equal(t, 1, c.AppendTruncated(lrs, []byte(`["x", `+cut[:len(cut)-40]), 1<<20, testObserved).Oversized)
	// An EventList item that is no valid event.
	item := ev(func(m map[string]any) { m["stage"] = 7 }, auditCase{verb: "get", resource: "secrets",
		response: secretObject("item", map[string]string{"k": s.b64("bad-item")}, nil, "")})
	counts, err := c.AppendPayload(lrs, []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[`+item+`]}`), testObserved)
	require.NoError(t, err)
	require.Equal(t, 1, counts.Malformed)
	// A raw body that claims an auditID but does not parse.
	unreadable := lrs.AppendEmpty()
	unreadable.Attributes().PutStr(auditevent.AttrAuditID, "00000000-0000-4000-8000-000000000091")
	unreadable.Body().SetStr(cut[:len(cut)-41])
	require.Equal(t, badInputRecords, lrs.Len())
	return ld
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// marshalAll is every byte of the logs as OTLP JSON, plus the attributes and
// bodies as plain JSON and text (OTLP JSON escapes differently).
func marshalAll(t *testing.T, ld plog.Logs) string {
	t.Helper()
	otlp, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	proto, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	var b strings.Builder
	b.Write(otlp)
	b.Write(proto)
	for _, lr := range records(ld) {
		attrs, err := json.Marshal(lr.Attributes().AsRaw())
		require.NoError(t, err)
		b.Write(attrs)
		b.WriteString(lr.Body().AsString())
	}
	return b.String()
}

func TestRedactionCompleteOnFalcoEvents(t *testing.T) {
	// Falco's published events: secrets created with data.
	for _, name := range []string{"create_secret", "create_kube_system_secret", "create_service_account_token_secret"} {
		path := filepath.Join(sharedDir, "fixtures", "falco-k8s-audit", name+".json")
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		var ev map[string]any
		require.NoError(t, json.Unmarshal(raw, &ev))
		var values []string
		for _, key := range []string{"requestObject", "responseObject"} {
			if obj, ok := ev[key].(map[string]any); ok {
				if data, ok := obj["data"].(map[string]any); ok {
					for _, v := range data {
						values = append(values, v.(string))
					}
				}
			}
		}
		out := process(t, newTestProcessor(t, createDefaultConfig().(*Config)), logsFrom(t, false, path))
		outBytes := marshalAll(t, out)
		for _, v := range values {
			assert.False(t, strings.Contains(outBytes, v), "%s: %s survived", name, v)
		}
	}
}

// TestCompletenessSearchFindsLeaks proves the search above can fail: without
// redaction every seed is found in the output.
func TestCompletenessSearchFindsLeaks(t *testing.T) {
	var s seedSet
	out := process(t, newTestProcessor(t, noFeatures()), logsFrom(t, false, seededEvents(&s)...))
	outBytes := marshalAll(t, out)
	for _, seed := range s.values {
		assert.True(t, containsAny(outBytes, forms(seed)), "seed %q", seed)
	}
}
