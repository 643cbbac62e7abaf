-- nestbox-static-mkbox.lua: lighttpd's mod_magnet sends mkbox update
-- checks and /list from the watcher's tree (src/mkbox/mkbox_static.c),
-- run by etc/nestbox-lighttpd.conf on the request target as sent, for a
-- GET without a range or a condition.  The tree is <NESTBOX_MKBOX_LIVE>
-- (setenv.set-environment), <state>/mkbox-static/live.
--
-- A target spelled as the box script spells it is looked up in the tree:
-- the build's ID (the empty tar), else the build's update tar; a file there
-- is sent as a static file.  Anything else (another spelling or order of
-- the query, an escape, '+', a dot segment, an empty value, a miss)
-- returns 0: the request goes on untouched to update.fcgi / list.fcgi,
-- which answer from the image directory.  The query form is the box
-- script's (name, board, [branch,] version, build_id):
-- query/<name>/<board>/<version> is the master-or-main choice, made by the
-- watcher.
--
-- What is checked, and why it is enough: the tree holds only names that
-- mkbox_static.c's url_name_ok takes (1 to 200 of A-Z a-z 0-9 . _ ~ -, not
-- beginning with '.' or '-') and build IDs mkbox_static_id_ok takes (the
-- same, at most 128), so a name with any other character simply is not
-- there and the lookup misses.  What a lookup cannot tell is structure (an
-- empty value or a dot segment names another path), so every value must be
-- non-empty, hold no '/' and not begin with '.' or '-' (a value is also
-- joined into an image's name: <name>-<board>-<branch>-<version>).  The
-- build's ID is checked in full: its miss falls back to the update tar.
-- Only plain searches and one anchored pattern run per request: this
-- script runs on every update check, and Lua's character classes cost per
-- character.

local r = lighty.r
local t = r.req_attr["request.orig-uri"]
local live = r.req_env["NESTBOX_MKBOX_LIVE"]
if not live then
	return 0
end

-- a value the tree may hold (see above); nil or false: not one
local function value(v)
	if v == nil or v == "" or v:find("/", 1, true) then
		return false
	end
	local c = v:byte(1)
	return c ~= 46 and c ~= 45	-- '.', '-'
end

-- a build ID as mkbox_static_id_ok takes it
local function build_id(v)
	return v ~= nil and #v <= 128 and v:find("^[A-Za-z0-9_~][A-Za-z0-9_~%.%-]*$") ~= nil
end

local dir, id, route, st
if t == "/list" or t == "/list/" then
	st = lighty.c.stat(live .. "/list")
	if not (st and st.is_file) then
		return 0
	end
	r.req_header["X-Nestbox-Program"] = "static"
	r.resp_header["Content-Type"] = "text/plain; charset=utf-8"
	r.resp_header["X-Nestbox-Route"] = "static /list"
	return st["http-response-send-file"]
end
if t:sub(1, 8) == "/update/" then
	-- /update/<box>/<image>[/<buildID>]
	local i = t:find("/", 9, true)
	if not i then
		return 0
	end
	local box = t:sub(9, i - 1)
	local j = t:find("/", i + 1, true)
	local image = t:sub(i + 1, j and j - 1 or nil)
	if not (value(box) and value(image)) then
		return 0
	end
	if j then
		id = t:sub(j + 1)
		if not build_id(id) then
			return 0
		end
		route = "static /update/:box/:image/:build"
	else
		route = "static /update/:box/:image"
	end
	dir = "update/" .. box .. "/" .. image
elseif t:sub(1, 13) == "/update?name=" then
	-- name, board, [branch,] version[, build_id]; an empty branch= is none
	local name, board, rest = t:match("^([^&]*)&board=([^&]*)(.*)$", 14)
	if not (value(name) and value(board)) then
		return 0
	end
	local branch
	if rest:sub(1, 8) == "&branch=" then
		local k = rest:find("&", 9, true)
		if not k then
			return 0
		end
		if k > 9 then
			branch = rest:sub(9, k - 1)
			if not value(branch) then
				return 0
			end
		end
		rest = rest:sub(k)
	end
	if rest:sub(1, 9) ~= "&version=" then
		return 0
	end
	local k = rest:find("&", 10, true)
	local version = rest:sub(10, k and k - 1 or nil)
	if not value(version) then
		return 0
	end
	if k then
		if rest:sub(k, k + 9) ~= "&build_id=" then
			return 0
		end
		id = rest:sub(k + 10)
		if not build_id(id) then
			return 0
		end
	end
	if branch then
		if not id then
			return 0
		end
		dir = "update/" .. name .. "/" .. name .. "-" .. board .. "-" .. branch .. "-" .. version
		route = "static /update/:box/:image/:build"
	else
		dir = "query/" .. name .. "/" .. board .. "/" .. version
		route = "static /update?"
	end
else
	return 0
end
local base = live .. "/" .. dir
if id then
	st = lighty.c.stat(base .. "/id/" .. id)
end
if not (st and st.is_file) then
	st = lighty.c.stat(base .. "/update.tar")
	if not (st and st.is_file) then
		return 0
	end
end
r.req_header["X-Nestbox-Program"] = "static"
r.resp_header["Content-Type"] = "application/x-tar"
r.resp_header["Content-Disposition"] = "attachment; filename=\"update.tar\""
r.resp_header["X-Nestbox-Route"] = route
return st["http-response-send-file"]
