-- (d) Meydan: comment counts for 20 random threads in one GET request
-- (GET /api/v1/counts?site=…&url=…×20). Same RNG seeds and the same choice of
-- 20 uris per request as count.lua (Isso's POST /count), so both servers are
-- asked the same questions in the same order.
dofile(os.getenv("WRK_DIR") .. "/common.lua")
local prefix = os.getenv("COUNT_PREFIX") or "/api/v1/counts?site=bench"
local n_articles = tonumber(os.getenv("N_ARTICLES") or "200")

function init(args)
  math.randomseed(3000 + id)
end

function request()
  local parts = {prefix}
  for i = 1, 20 do
    parts[#parts + 1] = "&url=/article-" .. math.random(1, n_articles)
  end
  return wrk.format("GET", table.concat(parts))
end
