-- Copied unchanged from shared/bench/isso/wrk/count.lua (the Isso 0.14.0 baseline's request generators).
-- (d) Comment counts for 20 random threads in one request.
-- Isso API: POST /count with a JSON array of 20 uris -> JSON array of ints.
-- (Isso has no GET variant; its count.js widget does exactly this POST.)
dofile(os.getenv("WRK_DIR") .. "/common.lua")
local path = os.getenv("COUNT_PATH") or "/count"
local n_articles = tonumber(os.getenv("N_ARTICLES") or "200")
local origin = os.getenv("ORIGIN") or "http://127.0.0.1:8081"

function init(args)
  math.randomseed(3000 + id)
end

function request()
  local uris = {}
  for i = 1, 20 do
    uris[i] = '"/article-' .. math.random(1, n_articles) .. '"'
  end
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Origin"] = origin,
  }, "[" .. table.concat(uris, ",") .. "]")
end
