-- nestbox-static.lua: lighttpd's mod_magnet answers Python index project
-- pages from nestbox's static tree (etc/nestbox_static.lua decides;
-- etc/nestbox-lighttpd.conf runs this for the project pages
-- /pypi/../+simple/../; it maps mkbox update checks, /list and mip package
-- JSON with mod_rewrite).
-- A miss returns 0 and the request
-- goes on as configured (to the FastCGI program).  nestbox's var_dir comes
-- from the request environment NESTBOX_VAR (setenv.set-environment).

if not package.loaded.nestbox_static then
	local src = debug.getinfo(1, "S").source
	local dir = src:match("^@?(.*)/[^/]*$") or "."
	package.path = dir .. "/?.lua;" .. package.path
end
local core = require("nestbox_static")

-- lighttpd's stat, in the shape core wants; the last object is kept so
-- that the file sent is not stat'ed twice
local last_path, last_st
local function stat(path)
	local st = lighty.c.stat(path)
	last_path, last_st = path, st
	if not st then
		return nil
	end
	local s, ns = st.st_mtim()
	return { size = st.st_size, mtime = s * 1000000 + ns // 1000,
		 file = st.is_file, dir = st.is_dir }
end

local r = lighty.r
-- the request target as sent: what the program reads (REQUEST_URI)
local a = core.route(r.req_attr["request.method"], r.req_attr["request.orig-uri"],
		     r.req_env["NESTBOX_VAR"], stat, lighty.c.time(),
		     function(h) return r.req_header[h] end)
if not a then
	return 0
end
local st = last_path == a.path and last_st or lighty.c.stat(a.path)
last_path, last_st = nil, nil
if not st then
	return 0
end
r.resp_header["Content-Type"] = a.type
if a.disposition then
	r.resp_header["Content-Disposition"] = a.disposition
end
if a.vary then
	r.resp_header["Vary"] = a.vary
end
r.resp_header["X-Nestbox-Route"] = a.route
-- lighttpd sends the file as a static file (Range, ETag, sendfile)
return st["http-response-send-file"]
