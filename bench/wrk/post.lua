-- (c) POST a new comment, adapted from shared/bench/isso/wrk/post.lua: the
-- 1,000 fixed requests of $POST_REQUESTS ("<path>\t<json body>" per line, the
-- comment's text as the body's LAST field), each wrk thread walking the file
-- from a random start (same seeds as post.lua), one line per request.
--
-- One change, the same for every server: a request that repeats a line (the
-- second wrk thread, or a second pass through the file once a server has posted
-- more than 1,000 comments) gets " (T.P)" (wrk thread, pass) appended to its text
-- (" (wT.P)" in the warm-up run, so the measured run does not repeat the warm-up).
-- A server that refuses the same text by the same author in the same thread as a
-- duplicate (Meydan does; Isso does not) then sees no artificial duplicates.
--
-- Also counts the responses by status ($WRK_STATUS_JSON), e.g. 201 published /
-- 202 held for moderation, and with $WRK_IDS writes the id of every comment a 201 or
-- 202 acknowledged (its first "id" field), one a line: bench.py then checks that each
-- of them is in the database.
dofile(os.getenv("WRK_DIR") .. "/common.lua")
local origin = os.getenv("ORIGIN") or "http://127.0.0.1:8081"
local mark = os.getenv("POST_MARK") or ""  -- e.g. "w" for the warm-up run
local headers = {
  ["Content-Type"] = "application/json",
  ["Origin"] = origin,
  ["Referer"] = origin .. "/",
}
local threads = {}
local counter2 = 0

function setup(thread)
  counter2 = counter2 + 1
  thread:set("id", counter2)
  threads[#threads + 1] = thread
end

function init(args)
  paths, bodies = {}, {}
  for line in io.lines(os.getenv("POST_REQUESTS")) do
    local p, b = line:match("^([^\t]+)\t(.+)$")
    if p then
      paths[#paths + 1] = p
      bodies[#bodies + 1] = b
    end
  end
  math.randomseed(2000 + id)
  pos = math.random(1, #paths)
  pass = 1
  statuses = {}
  ids = {}
  want_ids = os.getenv("WRK_IDS") ~= nil
end

function request()
  pos = pos + 1
  if pos > #paths then
    pos = 1
    pass = pass + 1
  end
  local body = bodies[pos]
  if mark ~= "" or id > 1 or pass > 1 then
    body = body:sub(1, -3) .. " (" .. mark .. id .. "." .. pass .. ")\"}"
  end
  return wrk.format("POST", paths[pos], headers, body)
end

function response(status, hdrs, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if want_ids and (status == 201 or status == 202) then
    local found = body:match('"id":%s*(%d+)')
    if found then ids[#ids + 1] = found end
  end
end

local common_done = done
function done(summary, latency, requests)
  common_done(summary, latency, requests)
  local path = os.getenv("WRK_STATUS_JSON")
  if not path then return end
  local total = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses") or {}
    for k, v in pairs(s) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do parts[#parts + 1] = string.format('"%s": %d', k, v) end
  local f = io.open(path, "w")
  f:write("{" .. table.concat(parts, ", ") .. "}\n")
  f:close()
  local ids_path = os.getenv("WRK_IDS")
  if not ids_path then return end
  f = io.open(ids_path, "w")
  for _, thread in ipairs(threads) do
    for _, found in ipairs(thread:get("ids") or {}) do f:write(found, "\n") end
  end
  f:close()
end
