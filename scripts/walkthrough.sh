#!/usr/bin/env bash
# One order's whole life over HTTP, exactly as README.md shows it.
# Needs a running server started with KEPU_ADMIN_PASSWORD=kepu-demo-2026 on a fresh database,
# plus curl and jq.
set -euo pipefail
API=${API:-http://127.0.0.1:8080/api/v1}
json() { curl -sS -f -H 'Content-Type: application/json' "$@"; }

# 1. The association signs in and looks up the 锡尼镇 station and 旗农牧局.
ADMIN=$(json -X POST $API/auth/login -d '{"username":"admin","password":"kepu-demo-2026"}' | jq -r .access_token)
STATION=$(curl -sS $API/stations | jq -r '.items[] | select(.township_codes == ["xini"]) | .id')
DEPT=$(curl -sS $API/departments | jq -r '.items[] | select(.code == "nongmu") | .id')

# 2. Accounts: station staff, department staff, a team with its leader, one approved volunteer.
json -X POST $API/users -H "Authorization: Bearer $ADMIN" -d "{\"username\":\"xini-staff\",\"password\":\"password-123\",\"role\":\"station_staff\",\"display_name\":\"锡尼镇实践所\",\"station_id\":\"$STATION\"}" > /dev/null
json -X POST $API/users -H "Authorization: Bearer $ADMIN" -d "{\"username\":\"nongmu-staff\",\"password\":\"password-123\",\"role\":\"department_staff\",\"display_name\":\"农牧局\",\"department_id\":\"$DEPT\"}" > /dev/null
TEAM=$(json -X POST $API/teams -H "Authorization: Bearer $ADMIN" -d '{"name":"畜牧科技志愿服务队","theme_codes":["farming_herding"]}' | jq -r .id)
json -X POST $API/users -H "Authorization: Bearer $ADMIN" -d "{\"username\":\"team-leader\",\"password\":\"password-123\",\"role\":\"team_leader\",\"display_name\":\"队长\",\"team_id\":\"$TEAM\"}" > /dev/null
VOLUNTEER=$(json -X POST $API/volunteers -d '{"real_name":"乌云","phone":"13900001111","township":"xini","skills":"兽医","password":"password-123"}' | jq -r .id)
json -X POST $API/volunteers/$VOLUNTEER/approve -H "Authorization: Bearer $ADMIN" -d '{}' > /dev/null
json -X POST $API/teams/$TEAM/members -H "Authorization: Bearer $ADMIN" -d "{\"volunteer_id\":\"$VOLUNTEER\"}" > /dev/null

# 3. A herder posts a request (点单); no account needed. Keep the resident token.
ORDER=$(json -X POST $API/orders -H 'Idempotency-Key: walkthrough-1' -d '{"theme":"farming_herding","description":"请来讲讲羊的疫苗接种","township":"xini","contact_name":"巴特尔","contact_phone":"13812345678","target_group":"farmers_herders","expected_attendees":30}')
ID=$(echo "$ORDER" | jq -r .id); RESIDENT=$(echo "$ORDER" | jq -r .resident_token)
echo "order $ID, tracking code $(echo "$ORDER" | jq -r .tracking_code)"

# 4. The station dispatches (派单), the department accepts (领单), the team claims (接单).
STAFF=$(json -X POST $API/auth/login -d '{"username":"xini-staff","password":"password-123"}' | jq -r .access_token)
json -X POST $API/orders/$ID/dispatch -H "Authorization: Bearer $STAFF" -d "{\"department_id\":\"$DEPT\"}" | jq -r .state
OFFICER=$(json -X POST $API/auth/login -d '{"username":"nongmu-staff","password":"password-123"}' | jq -r .access_token)
json -X POST $API/orders/$ID/accept -H "Authorization: Bearer $OFFICER" -d '{}' | jq -r .state
LEADER=$(json -X POST $API/auth/login -d '{"username":"team-leader","password":"password-123"}' | jq -r .access_token)
json -X POST $API/orders/$ID/claim -H "Authorization: Bearer $LEADER" -d '{"note":"周六上午到"}' | jq -r .state

# 5. The team serves and completes (结单) with each volunteer's hours; the resident rates (评单).
TODAY=$(TZ=Asia/Shanghai date +%F)
json -X POST $API/orders/$ID/complete -H "Authorization: Bearer $LEADER" -d "{\"served_on\":\"$TODAY\",\"attendees\":28,\"summary\":\"讲解羊痘疫苗接种\",\"hours\":[{\"volunteer_id\":\"$VOLUNTEER\",\"hours\":3}]}" | jq -r .state
json -X POST $API/orders/$ID/rate -H "Authorization: Resident $RESIDENT" -d '{"score":5,"comment":"讲得很实用"}' | jq -r .state

# 6. The history, hash-chained, and the volunteer's hours.
curl -sS $API/orders/$ID/events -H "Authorization: Bearer $ADMIN" | jq -c '{chain_valid, actions: [.items[].action]}'
curl -sS $API/volunteers/$VOLUNTEER/hours -H "Authorization: Bearer $ADMIN" | jq -c '{pending_hours, confirmed_hours, star_level}'
