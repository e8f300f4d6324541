-- Copied unchanged from shared/bench/isso/wrk/thread.lua (the Isso 0.14.0 baseline's request generators).
-- (a) GET one whole thread of 100 comments, uniformly random /article-N.
-- Isso API: GET /?uri=%2Farticle-N   (no limit / nested_limit = full thread)
-- Override the path for another server with THREAD_PATH, "{n}" = 1..200.
dofile(os.getenv("WRK_DIR") .. "/common.lua")
local tmpl = os.getenv("THREAD_PATH") or "/?uri=%2Farticle-{n}"
local n_articles = tonumber(os.getenv("N_ARTICLES") or "200")

function init(args)
  math.randomseed(1000 + id)
end

function request()
  local n = math.random(1, n_articles)
  return wrk.format("GET", (tmpl:gsub("{n}", tostring(n))))
end
