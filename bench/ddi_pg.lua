-- bench/ddi_pg.lua - the wrk requests of bench/ddi_pg.sh's feedback row
-- spread over devices (the other rows use bench/ddi.lua).
--
--   wrk -s ddi_pg.lua <base>/DEFAULT/controller/v1/<any feedback URL> -- feedback <devices> [<ids>]
--       a "proceeding" feedback POST from each of <ids> (default 1000)
--       devices of the <devices> of the fixture ("bench-%07d", token
--       "bt-%07d"), device i's the sibling of bench/ddi.lua's spread poll
--       of device i - 1 (evenly over the table, shuffled): its open action
--       is number 10,000,000 + i, as ddi_pg_fixture opens them.  A fleet's
--       feedback comes from many devices; one action takes one feedback at
--       a time (its row is locked until its commit is on disk), which the
--       row of one device measures.

local reqs, nreqs, next = {}, 0, 0

local function spread_request()
	next = next % nreqs + 1
	return reqs[next]
end

-- the fixture's devices that get an action: ddi_pg_fixture's list
local function feedback_ids(total, use)
	local ids = {}
	for k = 0, use - 1 do
		ids[k + 1] = math.floor((k + 0.5) * total / use) + 1
	end
	math.randomseed(20240611)
	for k = use, 2, -1 do
		local j = math.random(k)
		ids[k], ids[j] = ids[j], ids[k]
	end
	return ids
end

function init(args)
	if args[1] ~= "feedback" then
		error("ddi_pg.lua: want 'feedback DEVICES [IDS]', not '" .. tostring(args[1]) .. "'")
	end
	local total = assert(tonumber(args[2]), "feedback: the number of devices")
	local use = math.min(tonumber(args[3] or 1000), total - 1)
	-- <base>/DEFAULT/controller/v1/<id>/deploymentBase/<action>/feedback
	local dir = assert(wrk.path:match("^(.*/)[^/]+/deploymentBase/"), "feedback: a feedback URL")
	for k, i in ipairs(feedback_ids(total, use)) do
		local action = 10000000 + i
		local body = string.format('{"id":"%d","status":{"execution":"proceeding","result":' ..
			'{"finished":"none","progress":{"cnt":1,"of":2}},"details":["Downloaded 40%%"]}}',
			action)
		reqs[k] = wrk.format("POST", dir .. string.format("bench-%07d/deploymentBase/%d/feedback",
			i, action), { ["Authorization"] = string.format("TargetToken bt-%07d", i),
			["Content-Type"] = "application/json" }, body)
	end
	nreqs = use
	next = (id or 0) * 97 % use
	request = spread_request
end

-- (in wrk's main state, before each thread's init)
local counter = 0
function setup(thread)
	thread:set("id", counter)
	counter = counter + 1
end
