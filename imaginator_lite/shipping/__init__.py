"""Maintainer tools that make the shipped files in pretrained/: a trained run into a shipped generator and its card
(build), the judges (build_judge), the real-face expression reader and the face check converted from their
published weights (build_expression_reader, build_face_check). They sit above the pipeline they call; the library
never imports them.

    python -m imaginator_lite.shipping.build faces --rescore
"""
