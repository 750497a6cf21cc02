-- wrk script of bench/redemptions.py: POST /api/voucher-redemptions, every code of the
-- file once, as the registration system would. Arguments (after `--`): the file, one code
-- a line, and wrk's thread count; each thread takes every n-th code, so no two requests
-- carry the same code. The partner token and Content-Type come as wrk -H headers.
local threads_made = 0

function setup(thread)
  thread:set("number", threads_made)
  threads_made = threads_made + 1
end

local codes = {}
local sent = 0

function init(args)
  local index, threads = 0, tonumber(args[2])
  for code in io.lines(args[1]) do
    if index % threads == number then
      codes[#codes + 1] = code
    end
    index = index + 1
  end
end

function request()
  sent = sent + 1
  local code = codes[sent]
  if code == nil then
    error("bench/redeem_codes.lua: out of codes; give it more")
  end
  local body = string.format(
    '{"voucher_code": "%s", "exam": "College Algebra", "student": ' ..
    '{"id": "S-%s", "name": "Bench Student", "email": "s@example.org"}}',
    code, code:sub(-6))
  return wrk.format("POST", "/api/voucher-redemptions", nil, body)
end
