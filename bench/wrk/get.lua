-- Copied unchanged from shared/bench/isso/wrk/get.lua (the Isso 0.14.0 baseline's request generators).
-- (b) GET one fixed path given in $GET_PATH (e.g. the /big thread).
dofile(os.getenv("WRK_DIR") .. "/common.lua")
local path = os.getenv("GET_PATH") or "/?uri=%2Fbig"

function request()
  return wrk.format("GET", path)
end
