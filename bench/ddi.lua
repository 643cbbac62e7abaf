-- bench/ddi.lua - wrk requests for the DDI rows of `make bench`.
--
--   wrk -s ddi.lua <url> -- token <T> [POST <body file>]
--       every request to <url> with "Authorization: TargetToken <T>", a GET
--       or a POST of the file's bytes as application/json
--   wrk -s ddi.lua <base>/DEFAULT/controller/v1/<any id> -- spread <devices> [<ids>]
--       polls (the URL's last segment replaced by each id) spread over <ids> (default 1000) of the <devices> that
--       bench/ddi_fixture.py made ("bench-%07d", token "bt-%07d"): evenly
--       over the whole table, in a shuffled order, each with its own token,
--       so that the store's index is measured and not one hot row

local reqs, nreqs, next = {}, 0, 0

-- only the spread polls need a request() per request: otherwise wrk sends
-- one request prepared once, as it does for the ceilings
local function spread_request()
	next = next % nreqs + 1
	return reqs[next]
end

function init(args)
	if args[1] == "token" then
		wrk.headers["Authorization"] = "TargetToken " .. args[2]
		if args[3] == "POST" then
			local f = assert(io.open(args[4], "rb"))
			wrk.method = "POST"
			wrk.body = f:read("*a")
			f:close()
			wrk.headers["Content-Type"] = "application/json"
		end
	elseif args[1] == "spread" then
		local total = assert(tonumber(args[2]), "spread: the number of devices")
		local use = math.min(tonumber(args[3] or 1000), total)
		local ids = {}
		-- the URL names one device (bench_one fetches it for its checks):
		-- the others are its siblings
		local dir = assert(wrk.path:match("^(.*/)"), "spread: a URL with a path")
		for k = 0, use - 1 do
			ids[k + 1] = math.floor((k + 0.5) * total / use)
		end
		-- the same order in every thread, started at a different place
		math.randomseed(20240611)
		for k = use, 2, -1 do
			local j = math.random(k)
			ids[k], ids[j] = ids[j], ids[k]
		end
		for k, i in ipairs(ids) do
			reqs[k] = wrk.format("GET", dir .. string.format("bench-%07d", i),
				{ ["Authorization"] = string.format("TargetToken bt-%07d", i) })
		end
		nreqs = use
		next = (id or 0) * 97 % use
		request = spread_request
	else
		error("ddi.lua: want 'token T [POST FILE]' or 'spread DEVICES [IDS]', not '" ..
			tostring(args[1]) .. "'")
	end
end

-- (in wrk's main state, before each thread's init)
local counter = 0
function setup(thread)
	thread:set("id", counter)
	counter = counter + 1
end
