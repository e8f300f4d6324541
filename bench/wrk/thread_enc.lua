-- (a) with a content coding: the random thread read of thread.lua (the same RNG seeds,
-- the same N uniform in 1..N_ARTICLES, so the same sequence of threads) sending
-- Accept-Encoding: $ACCEPT_ENCODING (e.g. gzip), as every browser does.
dofile(os.getenv("WRK_DIR") .. "/common.lua")
local tmpl = os.getenv("THREAD_PATH")
local n_articles = tonumber(os.getenv("N_ARTICLES") or "200")
local headers = {["Accept-Encoding"] = os.getenv("ACCEPT_ENCODING") or "gzip"}

function init(args)
  math.randomseed(1000 + id)
end

function request()
  local n = math.random(1, n_articles)
  return wrk.format("GET", (tmpl:gsub("{n}", tostring(n))), headers)
end
