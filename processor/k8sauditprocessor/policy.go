// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor // import "github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor"

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	audit "k8s.io/apiserver/pkg/apis/audit"
	auditinternal "k8s.io/apiserver/pkg/audit"
	auditpolicy "k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// loadPolicy reads a policy given inline (YAML or JSON) or as a file path,
// with kube-apiserver's own reader and validation.
func loadPolicy(policy string) (*audit.Policy, error) {
	if isInlinePolicy(policy) {
		return auditpolicy.LoadPolicyFromBytes([]byte(policy))
	}
	raw, err := os.ReadFile(policy)
	if err != nil {
		return nil, err
	}
	p, err := auditpolicy.LoadPolicyFromBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: from file %s", err, policy)
	}
	return p, nil
}

// isInlinePolicy tells an inline policy from a file path: a policy document
// has several lines or is a JSON object; a path is one line.
func isInlinePolicy(s string) bool {
	s = strings.TrimSpace(s)
	return strings.Contains(s, "\n") || strings.HasPrefix(s, "{")
}

// policyEvaluator applies an audit Policy to records the way kube-apiserver
// applies it to requests.
type policyEvaluator struct {
	eval auditinternal.PolicyRuleEvaluator
}

func newPolicyEvaluator(policy string) (*policyEvaluator, error) {
	p, err := loadPolicy(policy)
	if err != nil {
		return nil, err
	}
	return &policyEvaluator{eval: auditpolicy.NewPolicyRuleEvaluator(p)}, nil
}

// policyResult says what the policy does with one record.
type policyResult struct {
	drop bool
	// level is the record's new level, never above its level at the source.
	level             audit.Level
	lowered           bool
	omitManagedFields bool
}

// requestAttributes is the evaluator's input, pooled: it would otherwise
// cost three allocations per record (the record, its user, the groups).
type requestAttributes struct {
	rec    authorizer.AttributesRecord
	user   user.DefaultInfo
	groups []string
}

var attributesPool = sync.Pool{New: func() any { return new(requestAttributes) }}

// evaluate evaluates the policy for ev. The attributes are those kube-apiserver
// evaluates: the authenticated user (the policy runs before impersonation),
// verb, and either the resource or the non-resource path.
func (p *policyEvaluator) evaluate(ev *auditevent.Event) policyResult {
	ra := attributesPool.Get().(*requestAttributes)
	ra.set(ev)
	// The evaluator keeps nothing of the attributes.
	rc := p.eval.EvaluatePolicyRule(&ra.rec)
	ra.reset()
	attributesPool.Put(ra)
	if rc.Level == audit.LevelNone || slices.Contains(rc.OmitStages, audit.Stage(ev.Stage)) {
		return policyResult{drop: true}
	}
	current := audit.Level(ev.Level)
	switch current {
	case audit.LevelMetadata, audit.LevelRequest, audit.LevelRequestResponse:
	default:
		// Unknown level: trust the objects present; the policy may only lower.
		current = audit.LevelRequestResponse
	}
	res := policyResult{level: current, omitManagedFields: rc.OmitManagedFields}
	if rc.Level.Less(current) {
		res.level = rc.Level
		res.lowered = true
	}
	return res
}

// set fills ra with the request's attributes as kube-apiserver's audit
// filter builds them.
func (ra *requestAttributes) set(ev *auditevent.Event) {
	ref := &ev.ObjectRef
	_, isResource := ev.Body.Get("objectRef")
	path, _, _ := strings.Cut(ev.RequestURI, "?")
	ra.groups = appendStrings(ra.groups[:0], ev.User.Groups)
	ra.user = user.DefaultInfo{Name: ev.User.Username, UID: ev.User.UID, Groups: ra.groups}
	ra.rec = authorizer.AttributesRecord{
		User:            &ra.user,
		Verb:            ev.Verb,
		Namespace:       ref.Namespace,
		APIGroup:        ref.APIGroup,
		APIVersion:      ref.APIVersion,
		Resource:        ref.Resource,
		Subresource:     ref.Subresource,
		Name:            ref.Name,
		ResourceRequest: isResource,
		Path:            path,
	}
}

// reset drops the references to the record's strings before pooling.
func (ra *requestAttributes) reset() {
	ra.rec = authorizer.AttributesRecord{}
	ra.user = user.DefaultInfo{}
	clear(ra.groups)
}

func appendStrings(dst []string, s pcommon.Slice) []string {
	for i := 0; i < s.Len(); i++ {
		if v := s.At(i); v.Type() == pcommon.ValueTypeStr {
			dst = append(dst, v.Str())
		}
	}
	return dst
}

// applyPolicy strips what the level does not log and reports whether the
// body changed.
func applyPolicy(res policyResult, ev *auditevent.Event, attrs pcommon.Map) bool {
	body := ev.Body
	changed := false
	if res.lowered {
		if res.level.Less(audit.LevelRequest) {
			changed = body.Remove("requestObject") || changed
		}
		if res.level.Less(audit.LevelRequestResponse) {
			changed = body.Remove("responseObject") || changed
		}
		body.PutStr("level", string(res.level))
		attrs.PutStr(auditevent.AttrLevel, string(res.level))
		changed = true
	}
	if res.omitManagedFields {
		// kube-apiserver logs a patch's request body as it came, without
		// dropping managed fields from it.
		if ev.Verb != "patch" {
			changed = omitManagedFields(body, "requestObject") || changed
		}
		changed = omitManagedFields(body, "responseObject") || changed
	}
	return changed
}

// omitManagedFields removes metadata.managedFields from an object, the
// items of a list and the rows of a table, as kube-apiserver does.
func omitManagedFields(body pcommon.Map, key string) bool {
	v, ok := body.Get(key)
	if !ok || v.Type() != pcommon.ValueTypeMap {
		return false
	}
	obj := v.Map()
	changed := removeManagedFields(obj)
	for _, list := range [...]string{"items", "rows"} {
		items, ok := obj.Get(list)
		if !ok || items.Type() != pcommon.ValueTypeSlice {
			continue
		}
		for i := 0; i < items.Slice().Len(); i++ {
			item := items.Slice().At(i)
			if item.Type() != pcommon.ValueTypeMap {
				continue
			}
			m := item.Map()
			if list == "rows" {
				o, ok := m.Get("object")
				if !ok || o.Type() != pcommon.ValueTypeMap {
					continue
				}
				m = o.Map()
			}
			changed = removeManagedFields(m) || changed
		}
	}
	return changed
}

func removeManagedFields(obj pcommon.Map) bool {
	meta, ok := obj.Get("metadata")
	if !ok || meta.Type() != pcommon.ValueTypeMap {
		return false
	}
	return meta.Map().Remove("managedFields")
}
