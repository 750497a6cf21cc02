"""Garbage collection for a long-running service process.

A nameko process holds a large heap of long-lived objects (nameko, kombu, SQLAlchemy,
marshmallow, the service's own modules), and Python's older-generation collections walk
all of it: pauses of tens of milliseconds, in the middle of whatever requests are in
flight. They were the gateway's p99 (order history at 32 connections: 68 ms, 27 ms with
this). Once the process has started, what exists is moved out of the collector's sight
(`gc.freeze`) and the older generations are collected less often; the youngest, where
request garbage dies, is collected as usual.
"""
import gc

from nameko.extensions import DependencyProvider

THRESHOLDS = (700, 50, 1000)  # Python's are (700, 10, 10)


class RareFullCollections(DependencyProvider):
    """`gc_tuning = RareFullCollections()` on a service: tunes the process at start."""

    def start(self):
        gc.collect()
        gc.freeze()
        gc.set_threshold(*THRESHOLDS)

    def get_dependency(self, worker_ctx):
        return None
