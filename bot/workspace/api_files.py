"""files.getUploadURLExternal, the upload POST and files.completeUploadExternal (files_upload_v2)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .appkeys import WORKSPACE
from .errors import ApiError
from .state import Workspace

MAX_FILE = 1024 * 1024  # the local workspace keeps uploads in memory; Slack allows far more


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def get_upload_url(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """files.getUploadURLExternal: reserve a file id and a one-time upload URL."""
    filename = str(args.get("filename") or "")
    length = _int(args.get("length"))
    if not filename:
        raise ApiError("invalid_arguments", messages=["[ERROR] missing required field: filename"])
    if length is None or length < 1:
        raise ApiError("invalid_arguments", messages=["[ERROR] missing required field: length"])
    if length > MAX_FILE:
        raise ApiError("file_too_large")
    file_id = f"F{len(ws.files) + 1:09d}"
    ws.files[file_id] = {"id": file_id, "name": filename, "title": filename, "length": length,
                         "data": None, "state": "reserved", "created": int(ws.now()),
                         "user": ws.config.bot_user_id, "channels": []}
    if not ws.base_url:
        raise ApiError("fatal_error")
    return {"ok": True, "upload_url": f"{ws.base_url}/upload/v1/{file_id}", "file_id": file_id}


async def handle_upload(request: web.Request) -> web.Response:
    """The upload URL: store the bytes once; Slack answers 200 `OK - <length>`."""
    ws: Workspace = request.app[WORKSPACE]
    record = ws.files.get(request.match_info["file_id"])
    if record is None or record["state"] != "reserved":
        return web.Response(status=404, text="not found")
    data = await request.read()
    if not data or len(data) > MAX_FILE:
        return web.Response(status=400, text="bad upload")
    record.update(data=data, size=len(data), state="uploaded")
    return web.Response(text=f"OK - {len(data)}")


async def handle_download(request: web.Request) -> web.Response:
    """Serve a shared file's bytes (the page's download link)."""
    ws: Workspace = request.app[WORKSPACE]
    record = ws.files.get(request.match_info["file_id"])
    if record is None or record["state"] != "shared":
        return web.Response(status=404, text="file_not_found")
    return web.Response(body=record["data"], content_type="text/plain", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{record["name"]}"'})


def file_object(ws: Workspace, record: dict[str, Any]) -> dict[str, Any]:
    """Return the Slack shape of a file."""
    return {"id": record["id"], "name": record["name"], "title": record["title"],
            "size": record.get("size", 0), "created": record["created"], "user": record["user"],
            "mimetype": "text/plain", "filetype": record["name"].rsplit(".", 1)[-1],
            "url_private_download": f"{ws.base_url}/files/{record['id']}",
            "channels": list(record["channels"])}


def complete_upload(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """files.completeUploadExternal: finish uploads and share them in a channel or thread."""
    raw = args.get("files")
    try:
        files = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as exc:
        raise ApiError("invalid_arguments", messages=["[ERROR] files is not valid JSON"]) from exc
    if not isinstance(files, list) or not files or not all(isinstance(f, dict) for f in files):
        raise ApiError("invalid_arguments", messages=["[ERROR] missing required field: files"])
    records = []
    for f in files:
        record = ws.files.get(str(f.get("id")))
        if record is None or record["state"] == "reserved":
            raise ApiError("file_not_found")  # never uploaded (or unknown id)
        if record["state"] == "shared":
            raise ApiError("file_upload_already_completed")
        records.append((record, f))
    channel = None
    if args.get("channel_id") or args.get("channels"):
        channel = ws.channel(str(args.get("channel_id") or str(args["channels"]).split(",")[0]))
        if channel is None:
            raise ApiError("channel_not_found")
    thread_ts = args.get("thread_ts") or None
    if thread_ts and (channel is None or ws.find(channel, thread_ts) is None):
        raise ApiError("invalid_thread_ts" if channel else "invalid_arguments")
    for record, f in records:
        record["title"] = str(f.get("title") or record["name"])
        record["state"] = "shared" if channel else "private"
        if channel:
            record["channels"].append(channel.id)
    if channel is not None:
        shared = [file_object(ws, r) for r, _ in records]
        msg = ws.bot_message(str(args.get("initial_comment") or ""), None)
        msg.update(subtype="file_share" if not thread_ts else None, files=shared, upload=True)
        msg = {k: v for k, v in msg.items() if v is not None}
        ws.post(channel, msg, thread_ts=thread_ts)
    return {"ok": True, "files": [file_object(ws, r) for r, _ in records]}


METHODS = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
}
