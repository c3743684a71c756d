"""Typed aiohttp application keys shared by the workspace's handlers."""

from aiohttp import web

from .state import Workspace

WORKSPACE = web.AppKey("workspace", Workspace)
