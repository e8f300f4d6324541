-- Conditional GET of a random thread (as thread.lua: N uniform in 1..N_ARTICLES,
-- the same RNG seeds) with the ETag the server gave for that thread:
-- If-None-Match, expecting 304. $ETAGS is a file with line N = the ETag of
-- thread N, written by bench.py from the server's own responses.
dofile(os.getenv("WRK_DIR") .. "/common.lua")
local tmpl = os.getenv("THREAD_PATH")
local n_articles = tonumber(os.getenv("N_ARTICLES") or "200")
local etags = {}

function init(args)
  for line in io.lines(os.getenv("ETAGS")) do
    etags[#etags + 1] = line
  end
  math.randomseed(1000 + id)
end

function request()
  local n = math.random(1, n_articles)
  return wrk.format("GET", (tmpl:gsub("{n}", tostring(n))), {["If-None-Match"] = etags[n]})
end
