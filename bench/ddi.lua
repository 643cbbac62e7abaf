-- bench/ddi.lua - wrk requests for the DDI rows of `make bench` (bench/ddi.sh)
-- and of its PostgreSQL rows (bench/ddi_pg.sh).
--
--   wrk -s ddi.lua <url> -- token <T> [POST <body file>]
--       every request to <url> with "Authorization: TargetToken <T>", a GET
--       or a POST of the file's bytes as application/json
--   wrk -s ddi.lua <base>/DEFAULT/controller/v1/<any id> -- spread <devices> [<ids>]
--       polls (the URL's last segment replaced by each id) spread over <ids> (default 1000) of the <devices> that
--       bench/ddi_fixture.py made ("bench-%07d", token "bt-%07d"): evenly
--       over the whole table, in a shuffled order, each with its own token,
--       so that the store's index is measured and not one hot row
--   wrk -s ddi.lua <base>/DEFAULT/controller/v1/<any feedback URL> -- feedback <devices> [<ids>]
--       a "proceeding" feedback POST from each of <ids> (default 1000)
--       devices of the fixture, device i's the sibling of the spread poll
--       of device i - 1 (evenly over the table, shuffled): its open action
--       is number 10,000,000 + i, as ddi_pg_fixture opens them.  A fleet's
--       feedback comes from many devices; one action takes one feedback at
--       a time (its row is locked until its commit is on disk), which the
--       row of one device measures.

local reqs, nreqs, next = {}, 0, 0

-- only the spread polls need a request() per request: otherwise wrk sends
-- one request prepared once, as it does for the ceilings
local function spread_request()
	next = next % nreqs + 1
	return reqs[next]
end

-- <use> device numbers evenly over <total> (plus first), in the same
-- shuffled order in every thread (each starts at a different place)
local function spread_ids(total, use, first)
	local ids = {}
	for k = 0, use - 1 do
		ids[k + 1] = math.floor((k + 0.5) * total / use) + first
	end
	math.randomseed(20240611)
	for k = use, 2, -1 do
		local j = math.random(k)
		ids[k], ids[j] = ids[j], ids[k]
	end
	return ids
end

local function spread(args)
	local total = assert(tonumber(args[2]), "spread: the number of devices")
	local use = math.min(tonumber(args[3] or 1000), total)
	-- the URL names one device (bench_one fetches it for its checks):
	-- the others are its siblings
	local dir = assert(wrk.path:match("^(.*/)"), "spread: a URL with a path")
	for k, i in ipairs(spread_ids(total, use, 0)) do
		reqs[k] = wrk.format("GET", dir .. string.format("bench-%07d", i),
			{ ["Authorization"] = string.format("TargetToken bt-%07d", i) })
	end
	return use
end

local function feedback(args)
	local total = assert(tonumber(args[2]), "feedback: the number of devices")
	local use = math.min(tonumber(args[3] or 1000), total - 1)
	-- <base>/DEFAULT/controller/v1/<id>/deploymentBase/<action>/feedback
	local dir = assert(wrk.path:match("^(.*/)[^/]+/deploymentBase/"), "feedback: a feedback URL")
	for k, i in ipairs(spread_ids(total, use, 1)) do
		local action = 10000000 + i
		local body = string.format('{"id":"%d","status":{"execution":"proceeding","result":' ..
			'{"finished":"none","progress":{"cnt":1,"of":2}},"details":["Downloaded 40%%"]}}',
			action)
		reqs[k] = wrk.format("POST", dir .. string.format("bench-%07d/deploymentBase/%d/feedback",
			i, action), { ["Authorization"] = string.format("TargetToken bt-%07d", i),
			["Content-Type"] = "application/json" }, body)
	end
	return use
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
		return
	end
	if args[1] == "spread" then
		nreqs = spread(args)
	elseif args[1] == "feedback" then
		nreqs = feedback(args)
	else
		error("ddi.lua: want 'token T [POST FILE]', 'spread DEVICES [IDS]' or " ..
			"'feedback DEVICES [IDS]', not '" .. tostring(args[1]) .. "'")
	end
	next = (id or 0) * 97 % nreqs
	request = spread_request
end

-- (in wrk's main state, before each thread's init)
local counter = 0
function setup(thread)
	thread:set("id", counter)
	counter = counter + 1
end
