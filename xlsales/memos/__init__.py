"""memos"""
