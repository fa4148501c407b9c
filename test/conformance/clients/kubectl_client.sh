#!/usr/bin/env bash
# The conformance scenario through kubectl (Go, client-go). Needs kubectl and jq.
# Usage: kubectl_client.sh <kubeconfig> <context> <namespace>
# Prints one line: RESULT <json>, the facts the Jest test compares across clients.
set -uo pipefail
export KUBECONFIG="$1"
ctx="$2"
ns="$3"
k() { kubectl --context="$ctx" -n "$ns" "$@"; }
names() { jq -c '[.items[].metadata.name] | sort'; }
result='{"client":"kubectl"}'
put() { result=$(jq -c --argjson v "$2" ".$1 = \$v" <<<"$result"); }

# An error as the other clients see it: the HTTP code (from -v=6) and the reason kubectl prints.
error_of() {
  local out code reason
  out=$("$@" -v=6 2>&1 >/dev/null)
  # The first failing response: after a 404 kubectl looks the namespace up too.
  code=$(sed -nE 's/.*(GET|POST|PUT|PATCH|DELETE) http[^ ]* ([45][0-9]{2}) .*/\2/p' <<<"$out" | head -1)
  reason=$(grep -oE 'Error from server \(([A-Za-z]+)\)' <<<"$out" | head -1 | sed -E 's/.*\((.*)\)/\1/')
  # kubectl words a 422 as 'The ConfigMap "x" is invalid: ...'.
  if [[ -z "$reason" ]] && grep -q ' is invalid: ' <<<"$out"; then reason=Invalid; fi
  jq -cn --arg c "${code:-0}" --arg r "$reason" '{code: ($c | tonumber), reason: $r}'
}

cm() { # name labels(json) data(json)
  jq -cn --arg n "$1" --argjson l "$2" --argjson d "$3" \
    '{apiVersion:"v1",kind:"ConfigMap",metadata:{name:$n,labels:$l},data:$d}'
}

kubectl --context="$ctx" create namespace "$ns" >/dev/null || exit 1

# CRUD
cm c1 '{"app":"a","tier":"x"}' '{"k":"v1"}' | k create -f - >/dev/null
cm c2 '{"app":"b"}' '{"k":"v2"}' | k create -f - >/dev/null
cm c3 '{"app":"c","tier":"y"}' '{"k":"v3"}' | k create -f - >/dev/null
k get configmap c1 -o json | jq -c '.data.k = "v1-updated"' | k replace -f - >/dev/null
k delete configmap c3 >/dev/null
put crud "$(jq -cn \
  --argjson got "$(k get configmap c2 -o json | jq -c .data)" \
  --argjson updated "$(k get configmap c1 -o json | jq -c .data)" \
  --argjson listed "$(k get configmaps -o json | names)" \
  --argjson gone "$(error_of k get configmap c3)" \
  '{got:$got, updated:$updated, listed:$listed, afterDelete:$gone.code}')"

# Selectors
sel() { k get configmaps "$@" -o json | names; }
put selectors "$(jq -cn \
  --argjson a "$(sel -l app=a)" \
  --argjson b "$(sel -l 'app in (a,b)')" \
  --argjson c "$(sel -l 'app notin (a)')" \
  --argjson d "$(sel -l 'app,!tier')" \
  --argjson e "$(sel --field-selector metadata.name=c2)" \
  --argjson f "$(sel --field-selector metadata.name!=c2)" \
  --argjson g "$(sel -l 'app in (a,b)' --field-selector metadata.name!=c1)" \
  '{labelEquals:$a, labelIn:$b, labelNotIn:$c, labelExistsAndNot:$d, fieldEquals:$e, fieldNotEquals:$f, both:$g}')"

# Patches
merge=$(k patch configmap c1 --type=merge -p '{"data":{"m":"merged"}}' -o json | jq -c .data)
jsonp=$(k patch configmap c1 --type=json -p '[{"op":"replace","path":"/data/k","value":"json-patched"}]' -o json | jq -c .data)
applied=$(printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c1\ndata:\n  applied: "yes"\n' |
  k apply --server-side --field-manager=conformance --force-conflicts --show-managed-fields -f - -o json)
jq -cn '{apiVersion:"apps/v1",kind:"Deployment",metadata:{name:"d1"},spec:{replicas:1,
  selector:{matchLabels:{app:"d1"}},template:{metadata:{labels:{app:"d1"}},
  spec:{containers:[{name:"a",image:"x:1"}]}}}}' | k create -f - >/dev/null
smp=$(k patch deployment d1 --type=strategic \
  -p '{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"y:1"}]}}}}' -o json |
  jq -c '[.spec.template.spec.containers[].name]')
put patches "$(jq -cn --argjson m "$merge" --argjson j "$jsonp" --argjson a "$applied" --argjson s "$smp" \
  '{merge:$m, json:$j, apply:$a.data,
    applyManagers:([$a.metadata.managedFields[] | "\(.manager)/\(.operation)"] | sort),
    strategicContainers:$s}')"

# Watch, resumed from the resourceVersion of a list, through kubectl's own HTTP client
# kubectl get -o json prints lists without their resourceVersion: read the list itself.
rv=$(kubectl --context="$ctx" get --raw "/api/v1/namespaces/$ns/configmaps?labelSelector=w%3D1" |
  jq -r .metadata.resourceVersion)
cm w1 '{"w":"1"}' '{"n":"1"}' | k create -f - >/dev/null
k patch configmap w1 --type=merge -p '{"data":{"n":"2"}}' >/dev/null
k delete configmap w1 >/dev/null
events=$(kubectl --context="$ctx" get --raw \
  "/api/v1/namespaces/$ns/configmaps?watch=1&resourceVersion=$rv&labelSelector=w%3D1&timeoutSeconds=3" |
  jq -cs '[.[] | select(.type != "BOOKMARK") | "\(.type) \(.object.metadata.name)"]')
put watch "$(jq -cn --argjson e "$events" '{events:$e}')"

# Errors
put errors "$(jq -cn \
  --argjson nf "$(error_of k get configmap missing)" \
  --argjson ae "$(cm c1 '{}' '{}' | error_of k create -f -)" \
  --argjson cf "$(jq -cn '{apiVersion:"v1",kind:"ConfigMap",metadata:{name:"c2",resourceVersion:"1"}}' | error_of k replace -f -)" \
  --argjson iv "$(cm Not_Valid '{}' '{}' | error_of k create -f -)" \
  '{notFound:$nf, alreadyExists:$ae, conflict:$cf, invalid:$iv}')"

echo "RESULT $result"
